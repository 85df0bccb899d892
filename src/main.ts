// Composition root: load config, open the store (SQLite here, or a
// PostgreSQL node, postgres-node.ts), start SMTP and HTTP (serve.ts), and
// shut down cleanly on SIGTERM/SIGINT. It wires the parts; it does no work itself.
import { fileURLToPath } from 'node:url';
import { loadConfig, ConfigError, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { openStore, type Store } from './store/index.js';
import { StoreWriter } from './store/writer.js';
import { ensureAdmin } from './services/accounts.js';
import { serveNode, type Serving, type StartOptions } from './serve.js';
import type { PostgresNode } from './postgres-node.js';
import { LocalReadyEvents, type ReadyEvents } from './ingest/ready-events.js';

export interface Mailroom extends Serving {
  config: Config;
  store: Store;
  writer: StoreWriter;
  /** Messages becoming ready (processing committed, issue 10): push features subscribe here. */
  ready: ReadyEvents;
  /** Parsing runs in the writer thread after each 250; tests and tools wait for it here. */
  parseQueue: { idle(): Promise<void>; readonly length: number; readonly parsed: number; readonly failed: number };
}

export type { StartOptions };

export async function startMailroom(config: Config, log: Logger = createLogger(config.log.level), opts: StartOptions = {}): Promise<Mailroom> {
  // This is the embedded engine's start; a SQLite file beside a configured
  // PostgreSQL would serve an empty store as if it were the shared one.
  if (config.storage.engine === 'postgres') {
    throw new Error('startMailroom runs the SQLite engine; storage.engine postgres starts with startNode (startPostgresNode)');
  }
  // The main thread's connection serves reads and the web's small writes; it
  // also runs the migrations before the writer thread opens its own.
  const store = openStore(config.storage.dataDir);
  await ensureAdmin(store, config);
  // The writer thread reports each message whose processing committed; the process hears it here.
  const ready = new LocalReadyEvents();
  const writer = await StoreWriter.start(
    {
      dataDir: config.storage.dataDir,
      logLevel: config.log.level,
      maxDatabaseBytes: config.storage.maxDatabaseBytes,
    },
    ready,
  );
  const parseQueue = {
    idle: () => writer.parseIdle(),
    get length() {
      return writer.stats.parseQueue;
    },
    get parsed() {
      return writer.stats.parsed;
    },
    get failed() {
      return writer.stats.parseFailed;
    },
  };
  const serving = await serveNode(
    config,
    log,
    {
      store,
      ingest: (message) => writer.ingest(message),
      pendingMessages: () => writer.pendingMessages,
      queuedMessages: () => writer.queuedMessages,
      watchBacklog: (listener) => writer.watchBacklog(listener),
      parseQueueLength: () => parseQueue.length,
      ready,
      // Bulk deletes run on the writer thread, in batches between group commits.
      eraser: writer,
      retentionRunner: { prune: (policy, now) => writer.prune(policy, now), abort: () => writer.abortPrune() },
      async close() {
        await writer.close();
        store.close();
      },
    },
    opts,
  );
  return { config, store, writer, ready, parseQueue, ...serving };
}

/** What main() runs: the engine the config names. */
export type RunningNode = Mailroom | PostgresNode;

export function startNode(config: Config, log: Logger = createLogger(config.log.level), opts: StartOptions = {}): Promise<RunningNode> {
  if (config.storage.engine !== 'postgres') return startMailroom(config, log, opts);
  // Loaded only for a PostgreSQL node: the postgres driver and the PG engine
  // are RSS a SQLite node would carry for nothing (issue 16).
  return import('./postgres-node.js').then(({ startPostgresNode }) => startPostgresNode(config, log, opts));
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mailroom: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  let mailroom: RunningNode;
  try {
    mailroom = await startNode(config, log);
  } catch (err) {
    log.fatal({ err: { message: (err as Error).message, code: (err as NodeJS.ErrnoException).code } }, 'cannot start');
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    log.info({ signal }, 'signal received');
    mailroom.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err: { message: (err as Error).message } }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void main();
}
