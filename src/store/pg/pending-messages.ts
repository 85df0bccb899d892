// What the PostgreSQL ingest pipeline (ingest/pg-ingest.ts) reads from the
// database: messages received (raw committed, 250 sent) but not processed
// yet, and the raw bytes it parses. A message is 'pending' from its INSERT
// (message-writer.ts ingest) until its parse result commits (applyParse).
import type { Sql } from './driver.js';
import { PgMessageReader } from './message-reader.js';

export class PgPendingMessages {
  private readonly reader: PgMessageReader;

  constructor(private readonly sql: Sql) {
    this.reader = new PgMessageReader(sql);
  }

  /** Every pending message's content id, oldest first (a node's start: its own crash leftovers and a dead node's). */
  async all(): Promise<number[]> {
    const rows = await this.sql<{ id: number }[]>`SELECT id FROM contents WHERE parse_state = 'pending' ORDER BY id`;
    return rows.map((r) => r.id);
  }

  /** Content ids pending since before `before` (epoch ms), oldest first, at most `limit`. */
  async receivedBefore(before: number, limit: number): Promise<number[]> {
    const rows = await this.sql<{ id: number }[]>`
      SELECT id FROM contents WHERE parse_state = 'pending' AND received < ${before} ORDER BY id LIMIT ${limit}`;
    return rows.map((r) => r.id);
  }

  /** The raw message to parse, inflated off the event loop; null once deleted. */
  raw(contentId: number): Promise<Buffer | null> {
    return this.reader.raw(contentId);
  }
}
