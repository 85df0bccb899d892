// Reads at N stored on PostgreSQL (issue 14), one query at a time on one
// connection, p50/p99 ms, against a database seeded by pg-seed.ts. The
// asynchronous MessageReader (its PostgreSQL implementation) is not on main
// yet, so these are the statements it has to run, timed directly, each
// with its result read in full (a message's body inflated): what the list
// and message pages, the search and the count need from the database,
// without the HTTP and rendering the SQLite read bench includes.
import { decodeBody } from '../../src/store/body-codec.js';
import type { Sql } from '../../src/store/pg/driver.js';
import { searchMessageIds } from '../../src/store/pg/message-search.js';
import { Samples, summarize, type Summary } from './stats.js';

export type PgReadOp = 'list 50' | 'get + body' | 'search' | 'count';
export const PG_READ_OPS: PgReadOp[] = ['list 50', 'get + body', 'search', 'count'];

export interface PgReadSample {
  inbox: () => string;
  message: () => { id: string; inbox: string };
  queries: string[];
}

export interface PgSizes {
  database: number;
  /** pg_total_relation_size (heap, TOAST, indexes) of each mail table. */
  tables: Record<string, number>;
  rawBytes: number;
  messages: number;
}

export interface PgReadStage {
  stored: number;
  seedMs: number;
  sizes: PgSizes;
  ops: Array<{ op: PgReadOp; latency: Summary | null }>;
  /** SQLite store of the same Seeder mail, for bytes per message side by side (null when not measured). */
  sqliteBytes: number | null;
}

/** Draws 500 (id, inbox) pairs uniformly over the stored messages, as bench.ts does for SQLite. */
export async function sampleMessages(sql: Sql, random: () => number): Promise<Array<{ id: string; inbox: string }>> {
  const [{ max }] = await sql<{ max: number }[]>`SELECT max(seq) AS max FROM messages`;
  const out: Array<{ id: string; inbox: string }> = [];
  for (let k = 0; k < 500; k++) {
    const [row] = await sql<{ id: string; inbox: string }[]>`SELECT id, inbox FROM messages WHERE seq >= ${1 + Math.floor(random() * max)} ORDER BY seq LIMIT 1`;
    if (row) out.push({ id: row.id, inbox: row.inbox });
  }
  return out;
}

export async function pgSizes(sql: Sql, rawBytes: number): Promise<PgSizes> {
  const [{ db }] = await sql<{ db: number }[]>`SELECT pg_database_size(current_database()) AS db`;
  const rows = await sql<{ name: string; bytes: number }[]>`
    SELECT relname AS name, pg_total_relation_size(oid) AS bytes FROM pg_class
    WHERE relkind = 'r' AND relname IN ('contents', 'messages', 'attachments', 'blobs')`;
  const [{ n }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM messages`;
  return { database: db, tables: Object.fromEntries(rows.map((r) => [r.name, r.bytes])), rawBytes, messages: n };
}

export async function runPgReads(sql: Sql, s: PgReadSample, opts: { requests: number; maxMsPerOp: number }): Promise<PgReadStage['ops']> {
  const run: Record<PgReadOp, (i: number) => Promise<unknown>> = {
    // The inbox page's and the API list's rows: newest 50 ready copies with their summary fields.
    'list 50': (_i) => sql`
      SELECT m.id, m.inbox, m.received, m.read, m.starred, m.folder, m.labels_json, c.subject, c.from_json, c.to_json, c.size, c.date
      FROM messages m JOIN contents c ON c.id = m.content_id
      WHERE m.inbox = ${s.inbox()} AND m.ready ORDER BY m.received DESC, m.seq DESC LIMIT 50`,
    // The message page: the copy, its content's fields and the body inflated.
    'get + body': async (_i) => {
      const m = s.message();
      const [row] = await sql<{ body_z: Buffer }[]>`
        SELECT m.id, m.inbox, m.received, m.read, c.subject, c.from_json, c.to_json, c.cc_json, c.links_json, c.body_z
        FROM messages m JOIN contents c ON c.id = m.content_id WHERE m.id = ${m.id} AND m.inbox = ${m.inbox}`;
      return row?.body_z ? decodeBody(row.body_z) : null;
    },
    // The engine's own search (message-search.ts), first page of 100.
    search: (i) => searchMessageIds(sql, s.queries[i % s.queries.length]),
    count: (_i) => sql`SELECT count(*) FROM messages WHERE inbox = ${s.inbox()} AND ready`,
  };
  const out: PgReadStage['ops'] = [];
  for (const op of PG_READ_OPS) {
    const samples = new Samples();
    const warm = Math.min(10, Math.ceil(opts.requests / 10));
    const deadline = performance.now() + opts.maxMsPerOp;
    for (let i = 0; i < warm + opts.requests; i++) {
      if (i >= warm + 20 && performance.now() > deadline) break;
      const t0 = process.hrtime.bigint();
      await run[op](i);
      if (i >= warm) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    out.push({ op, latency: samples.length ? summarize(samples.values()) : null });
  }
  return out;
}
