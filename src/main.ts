// Composition root: load config, open the store, start SMTP and HTTP, and shut
// down cleanly on SIGTERM/SIGINT. It wires the parts; it does no work itself.
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadConfig, ConfigError, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { openStore, type Store } from './store/index.js';
import { SmtpReceiver } from './smtp/receiver.js';
import { StoreWriter } from './store/writer.js';
import { createApp } from './http/app.js';
import { ensureAdmin } from './services/accounts.js';
import { RetentionScheduler } from './jobs/scheduler.js';
import { LocalReadyEvents, type ReadyEvents } from './ingest/ready-events.js';

export interface Mailroom {
  config: Config;
  store: Store;
  smtp: SmtpReceiver;
  writer: StoreWriter;
  /** The retention job (issue 4): runs on retention.schedule; runNow() for tools and tests. */
  retention: RetentionScheduler;
  /** Messages becoming ready (processing committed, issue 10): push features subscribe here. */
  ready: ReadyEvents;
  /** Parsing runs in the writer thread after each 250; tests and tools wait for it here. */
  parseQueue: { idle(): Promise<void>; readonly length: number; readonly parsed: number; readonly failed: number };
  smtpAddress: AddressInfo;
  httpAddress: AddressInfo;
  stop(): Promise<void>;
}

export async function startMailroom(config: Config, log: Logger = createLogger(config.log.level)): Promise<Mailroom> {
  // The main thread's connection serves reads and the web's small writes; it
  // also runs the migrations before the writer thread opens its own.
  const store = openStore(config.storage.dataDir);
  ensureAdmin(store, config);
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
  const smtp = new SmtpReceiver({
    config,
    ingest: (message) => writer.ingest(message),
    isOwned: (inbox) => store.addresses.ownerOf(inbox) !== null,
    pendingMessages: () => writer.pendingMessages,
    log: log.child({ component: 'smtp' }),
  });

  const app = createApp({
    config,
    store,
    log: log.child({ component: 'http' }),
    // Bulk deletes (delete all, release with delete, data rights) run on the writer thread, in batches.
    eraser: writer,
    ready,
    health: () => ({ smtp: { ok: smtp.connections >= 0 && smtpListening, connections: smtp.connections, ...smtp.stats }, parseQueue: parseQueue.length }),
  });

  let smtpListening = false;
  const smtpAddress = await smtp.listen(config.smtp.port, config.smtp.host);
  smtpListening = true;
  const { server: http, address: httpAddress } = await listenHttp(app.fetch, config.http.port, config.http.host);
  const retention = new RetentionScheduler({
    config,
    store,
    log: log.child({ component: 'retention' }),
    runner: { prune: (policy, now) => writer.prune(policy, now), abort: () => writer.abortPrune() },
  });
  retention.start();
  log.info({ smtp: smtpAddress.port, http: httpAddress.port, domains: config.domains }, 'mailroom started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('shutting down: finishing transactions in flight');
      smtpListening = false;
      await retention.stop();
      await smtp.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await writer.close();
      store.close();
      log.info('stopped');
    })());
  return { config, store, smtp, writer, retention, ready, parseQueue, smtpAddress, httpAddress, stop };
}

function listenHttp(fetch: (req: Request) => Response | Promise<Response>, port: number, hostname: string): Promise<{ server: ServerType; address: AddressInfo }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, (info) => resolve({ server, address: info as AddressInfo }));
    server.once('error', reject);
  });
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
  let mailroom: Mailroom;
  try {
    mailroom = await startMailroom(config, log);
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
