// A whole Mailroom node on PostgreSQL (issue 14): the engine (pool,
// migrations, group-committing writer, parse pipeline, ready events over
// LISTEN/NOTIFY) and everything serveNode runs over it, with the parts that
// must hold across nodes taken from the database: the throttles that guard
// passwords and keys, the webhook queue (claimed with SKIP LOCKED), and
// the scheduled jobs (retention, the billing grace check: one node per run). main.ts starts this when storage.engine is
// postgres; several nodes on one database are one Mailroom.
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { ensureAdmin } from './services/accounts.js';
import { serveNode, type Serving, type StartOptions } from './serve.js';
import { openPgEngine, type PgEngine, type PgEngineOptions } from './ingest/pg-engine.js';
import type { PgStore } from './store/pg/pg-store.js';
import { PgEraser } from './store/pg/eraser.js';
import { pgRetentionRunner } from './store/pg/retention.js';
import { pgDeliveryQueue } from './store/pg/delivery-queue.js';
import { PgCounterStore } from './store/pg/throttle-counters.js';
import { useThrottleCounters } from './http/middleware/rate-limit.js';
import { runOnOneNode } from './store/pg/cluster-lock.js';

export interface PostgresNode extends Serving {
  config: Config;
  store: PgStore;
  engine: PgEngine;
  ready: PgEngine['ready'];
}

export async function startPostgresNode(config: Config, log: Logger, opts: StartOptions & PgEngineOptions = {}): Promise<PostgresNode> {
  const engine = await openPgEngine(config, log, opts);
  const { sql, store, ingest, ready } = engine;
  let serving: Serving;
  const eraser = new PgEraser(sql, { onScrub: (r) => ('error' in r ? log.warn({ err: { message: r.error.message } }, 'vacuum after delete failed') : undefined) });
  try {
    await ensureAdmin(store, config);
    // Before anything builds a throttle (they are keyed by the store): the counters live in the database.
    useThrottleCounters(store, new PgCounterStore(sql));
    serving = await serveNode(
      config,
      log,
      {
        store,
        ingest: (message) => ingest.ingest(message),
        pendingMessages: () => ingest.pendingMessages,
        queuedMessages: () => ingest.queuedMessages,
        watchBacklog: (listener) => ingest.watchBacklog(listener),
        parseQueueLength: () => ingest.length,
        ready,
        eraser,
        retentionRunner: pgRetentionRunner(sql),
        deliveries: pgDeliveryQueue(sql),
        async close() {
          // A delete just before the stop still gets its VACUUM.
          await eraser.close({ flush: true });
          await engine.close();
        },
        exclusive:
          (name) =>
          async <T>(fn: () => Promise<T>) => {
            const r = await runOnOneNode(sql, name, fn);
            return r.ran ? r.value : null;
          },
      },
      opts,
    );
  } catch (err) {
    await eraser.close();
    await engine.close();
    throw err;
  }
  return { config, store, engine, ready, ...serving };
}
