// Reads at N stored on both engines (issue 14), two ways, on the same mail
// (the run is pg-read-stage.ts):
// - through the asynchronous MessageReader (src/store/message-reader.ts),
//   one call at a time in the bench process: PgMessageReader on a database
//   seeded by pg-seed.ts, the SQLite reader on a store seeded with the same
//   mail. The store's share of a page, without routing or rendering.
// - over HTTP, a whole node on each store (startPostgresNode on the seeded
//   database, startMailroom on the SQLite store), each in a child process,
//   timed by read.ts exactly as the SQLite read table is: the same pages and
//   API calls, one request at a time over a keep-alive connection.
// p50/p99 ms throughout. This file holds the MessageReader calls, the sample
// of stored messages and the sizes of the database.
import type { Sql } from '../../src/store/pg/driver.js';
import type { MessageReader } from '../../src/store/message-reader.js';
import type { EndpointResult } from './read.js';
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

/** read.ts's requests against one node serving the seeded store, and the node's memory (PostgreSQL's own not in it). */
export interface NodeReads {
  endpoints: EndpointResult[];
  rss: number;
  peakRss: number;
  /** Set when the node did not start or the run failed (endpoints empty). */
  error?: string;
}

export interface PgReadStage {
  stored: number;
  seedMs: number;
  sizes: PgSizes;
  ops: Array<{ op: PgReadOp; latency: Summary | null }>;
  /** The same calls through the SQLite engine's reader on the same mail. */
  sqliteOps: Array<{ op: PgReadOp; latency: Summary | null }>;
  /** SQLite store of the same Seeder mail, for bytes per message side by side (null when not measured). */
  sqliteBytes: number | null;
  /** A whole PostgreSQL node on the seeded database, over HTTP. */
  http: NodeReads;
  /** A SQLite node on the store of the same mail, over HTTP, in the same run. */
  sqliteHttp: NodeReads;
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

/**
 * One engine's MessageReader, one call at a time: what the inbox page and
 * the API list (list, 50), the message page (getInInbox + body), the
 * admin's inbox-search (search over every inbox, first page) and the count
 * ask of it. Same calls, same sample, either engine.
 */
export async function runReaderOps(reader: MessageReader, s: PgReadSample, opts: { requests: number; maxMsPerOp: number }): Promise<PgReadStage['ops']> {
  const admin = { userId: null, admin: true };
  const run: Record<PgReadOp, (i: number) => Promise<unknown>> = {
    'list 50': () => reader.list(s.inbox(), { limit: 50, reader: admin }),
    'get + body': async () => {
      const m = s.message();
      const view = await reader.getInInbox(m.inbox, m.id, admin);
      if (!view) throw new Error(`message ${m.id} not found in ${m.inbox}`);
      return reader.body(view.contentId);
    },
    search: (i) => reader.search({ kind: 'all' }, s.queries[i % s.queries.length], { limit: 50 }),
    count: () => reader.count(s.inbox(), admin),
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
