// What a PostgreSQL node opens before it serves anything (issue 14): the
// pool, the migrations (once across nodes), the group-committing writer, the
// parse pipeline, this node's LISTEN for ready events, and the store over the
// pool. Both a whole node (postgres-node.ts) and a receiving-only node
// (pg-receiving-node.ts) start from here.
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openPool, type Sql } from '../store/pg/driver.js';
import { runPgMigrations } from '../store/pg/migrate.js';
import { PgMessageWriter } from '../store/pg/message-writer.js';
import { pgStore, type PgStore } from '../store/pg/pg-store.js';
import { PgIngest } from './pg-ingest.js';
import { PgReadyEvents } from './pg-ready-events.js';

export interface PgEngine {
  sql: Sql;
  store: PgStore;
  writer: PgMessageWriter;
  ingest: PgIngest;
  /** Ready events of every node, this one included. */
  ready: PgReadyEvents;
  /** Commits what was acknowledged, processes it, stops listening and ends the pool. */
  close(): Promise<void>;
}

export interface PgEngineOptions {
  /** How often a node looks for mail another node left pending, and how old it must be (default a minute each). */
  sweepIntervalMs?: number;
  sweepStaleMs?: number;
}

export async function openPgEngine(config: Config, log: Logger, opts: PgEngineOptions = {}): Promise<PgEngine> {
  if (!config.storage.postgresUrl) throw new Error('storage.postgresUrl is required for the postgres engine');
  const sql = openPool(config.storage.postgresUrl, { onNotice: (m) => log.debug({ notice: m }, 'postgres notice') });
  try {
    const applied = await runPgMigrations(sql);
    if (applied.length) log.info({ versions: applied }, 'postgres migrations applied');
    const writer = new PgMessageWriter(sql);
    const ingest = new PgIngest(sql, writer, log.child({ component: 'parse' }));
    // Loaded while the rest starts (0.3-3 s): the first message is parsed at once.
    const warming = ingest.warm();
    const ready = await PgReadyEvents.start(config.storage.postgresUrl, sql, { log: log.child({ component: 'ready-events' }) });
    const resumed = await ingest.resume();
    if (resumed) log.info({ count: resumed }, 'parsing messages received but not processed');
    // A node that dies and does not come back leaves its pending mail to the others.
    ingest.startSweeping(opts.sweepIntervalMs, opts.sweepStaleMs);
    await warming;
    return {
      sql,
      store: pgStore(sql),
      writer,
      ingest,
      ready,
      async close() {
        await ingest.close();
        await writer.close();
        await ready.close();
        await sql.end({ timeout: 5 });
      },
    };
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw err;
  }
}
