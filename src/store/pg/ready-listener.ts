// The SQL of a node's ready-event listener (ingest/pg-ready-events.ts): the
// LISTEN on READY_CHANNEL (ready-payload.ts), the database's clock, the copies
// of a message whose payload was too large to carry them, and the catch-up
// after the LISTEN connection was lost (contents.ready_at, set by the
// transaction that made the message ready, message-writer.ts).
import type { ReadyCopy } from '../../ingest/ready-events.js';
import type { Sql } from './driver.js';
import { READY_CHANNEL } from './ready-payload.js';

/** A message that became ready, as the catch-up reads it. */
export interface ReadyContent {
  contentId: number;
  state: 'ok' | 'failed';
  received: number;
  /** By the database's clock. */
  readyAt: number;
}

/** Sends LISTEN on the connection of its own (driver.ts openListenConnection). */
export async function listenForReady(conn: Sql): Promise<void> {
  await conn.unsafe(`LISTEN ${READY_CHANNEL}`);
}

/** Now by the database's clock, the one ready_at is written with (epoch ms). */
export async function databaseNow(sql: Sql): Promise<number> {
  const [{ now }] = await sql<{ now: number }[]>`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now`;
  return now;
}

/** The copies of one message, in arrival order. */
export async function readyCopiesOf(sql: Sql, contentId: number): Promise<ReadyCopy[]> {
  return [
    ...(await sql<ReadyCopy[]>`
      SELECT id, inbox, domain, captured_by AS "capturedBy" FROM messages WHERE content_id = ${contentId} ORDER BY seq`),
  ];
}

/** Messages that became ready at or after `since` (the database's clock), oldest first, at most `limit`. */
export async function readySince(sql: Sql, since: number, limit: number): Promise<ReadyContent[]> {
  const rows = await sql<{ id: number; state: 'ok' | 'failed'; received: number; ready_at: number }[]>`
    SELECT id, parse_state AS state, received, ready_at FROM contents
    WHERE ready_at >= ${since} ORDER BY ready_at LIMIT ${limit}`;
  return rows.map((r) => ({ contentId: r.id, state: r.state, received: r.received, readyAt: r.ready_at }));
}

/** The copies of several messages, by content id, each in arrival order; a message deleted since has none. */
export async function readyCopiesOfMany(sql: Sql, contentIds: number[]): Promise<Map<number, ReadyCopy[]>> {
  const rows = await sql<Array<ReadyCopy & { contentId: number }>>`
    SELECT content_id AS "contentId", id, inbox, domain, captured_by AS "capturedBy"
    FROM messages WHERE content_id IN ${sql(contentIds)} ORDER BY seq`;
  const byContent = new Map<number, ReadyCopy[]>();
  for (const { contentId, id, inbox, domain, capturedBy } of rows) {
    let copies = byContent.get(contentId);
    if (!copies) byContent.set(contentId, (copies = []));
    copies.push({ id, inbox, domain, capturedBy });
  }
  return byContent;
}
