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
import { AccountService, ensureAdmin } from './services/accounts.js';
import { captureRole } from './smtp/capture-role.js';
import { startCertificateSource, type CertificateSource } from './smtp/tls-certificate.js';
import { loginThrottleFor } from './http/middleware/rate-limit.js';
import { RetentionScheduler } from './jobs/scheduler.js';
import { LocalReadyEvents, type ReadyEvents } from './ingest/ready-events.js';
import { startPush, type Push } from './push/index.js';
import { withForwards } from './push/forwarding.js';
import type { Server } from 'node:http';
import { createServices, type Services } from './services/index.js';
import { BillingGraceJob } from './jobs/billing-grace.js';
import type { MxResolver, TxtResolver } from './services/domains.js';

export interface Mailroom {
  config: Config;
  store: Store;
  smtp: SmtpReceiver;
  /** The Email Capture listener (issue 12); null when capture.port is 0. */
  capture: SmtpReceiver | null;
  /** The STARTTLS certificate both listeners offer: configured, or self-signed in the data directory. */
  certificate: CertificateSource;
  writer: StoreWriter;
  /** The retention job (issue 4): runs on retention.schedule; runNow() for tools and tests. */
  retention: RetentionScheduler;
  /** The use-cases the web app runs on (billing, addresses, ...). */
  services: Services;
  /** Releases what exceeds the free grant once a lapsed plan's grace period ends (issue 15). */
  billingGrace: BillingGraceJob;
  /** Messages becoming ready (processing committed, issue 10): push features subscribe here. */
  ready: ReadyEvents;
  /** Websocket hub and webhook queue (issue 11). */
  push: Push;
  /** Parsing runs in the writer thread after each 250; tests and tools wait for it here. */
  parseQueue: { idle(): Promise<void>; readonly length: number; readonly parsed: number; readonly failed: number };
  smtpAddress: AddressInfo;
  captureAddress: AddressInfo | null;
  httpAddress: AddressInfo;
  stop(): Promise<void>;
}

/** Seams for tests. */
export interface StartOptions {
  /** Binds the capture listener here instead of capture.port (0: any free port), even when capture.port is 0. */
  capturePort?: number;
  /** A DNS TXT resolver instead of the system one (domain verification, issue 12). */
  resolveTxt?: TxtResolver;
  /** A DNS MX resolver instead of the system one (verifiedMx); with only resolveTxt given, MX lookups find nothing. */
  resolveMx?: MxResolver;
}

export async function startMailroom(config: Config, log: Logger = createLogger(config.log.level), opts: StartOptions = {}): Promise<Mailroom> {
  // The PostgreSQL store (store/pg, issue 14) can take writes and carry
  // ready events, but the services still read through the synchronous SQLite
  // repositories: starting would serve an empty store beside the shared one.
  if (config.storage.engine === 'postgres') {
    throw new Error('storage.engine postgres is not yet wired for serving (the read side still runs on SQLite; docs/scaling.md): set storage.engine to sqlite');
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
  // Every listener offers STARTTLS (issue 12): with no certificate configured, a self-signed one.
  const certificate = await startCertificateSource({ config, log: log.child({ component: 'tls' }) });
  const smtp = new SmtpReceiver({
    config,
    ingest: (message) => writer.ingest(withForwards(store, config, message)),
    isOwned: (inbox) => store.addresses.ownerOf(inbox) !== null || store.domains.verifiedOwner(inbox.slice(inbox.lastIndexOf('@') + 1)) !== null,
    acceptsDomain: (domain) => store.domains.verifiedOwner(domain) !== null,
    catchAllFor: (domain) => store.domains.catchAllInbox(domain),
    pendingMessages: () => writer.pendingMessages,
    log: log.child({ component: 'smtp' }),
    tls: certificate.credentials,
  });
  // Bulk deletes (delete all, release with delete, data rights) run on the writer thread, in batches.
  // Built before the capture listener, which asks billing for each account's monthly allowance.
  const services = createServices({ store, config, eraser: writer, log: log.child({ component: 'billing' }), resolveTxt: opts.resolveTxt, resolveMx: opts.resolveMx });
  const capture =
    config.capture.port > 0 || opts.capturePort !== undefined
      ? new SmtpReceiver({
          config,
          ingest: (message) => writer.ingest(message),
          log: log.child({ component: 'capture' }),
          tls: certificate.credentials,
          port: opts.capturePort ?? config.capture.port,
          host: config.smtp.host,
          role: captureRole({
            config,
            store,
            accounts: new AccountService({ store, config }),
            log: log.child({ component: 'capture' }),
            // One throttle with the web login (keyed by the store, as the web keys it).
            throttle: loginThrottleFor(store),
            // A plan's captureMessagesPerMonth (issue 15); null while billing is off.
            monthlyAllowance: (userId) => services.billing.captureAllowanceFor(userId),
          }),
        })
      : null;
  certificate.onChange((tls) => {
    smtp.updateTls(tls);
    capture?.updateTls(tls);
  });

  const app = createApp({
    config,
    store,
    log: log.child({ component: 'http' }),
    eraser: writer,
    services,
    ready,
    // POST /api/outgoing-messages stores local mail the way SMTP does (issue 12), forwards included.
    ingest: (message) => writer.ingest(withForwards(store, config, message)),
    resolveTxt: opts.resolveTxt,
    resolveMx: opts.resolveMx,
    health: () => ({ smtp: { ok: smtp.connections >= 0 && smtpListening, connections: smtp.connections, ...smtp.stats }, parseQueue: parseQueue.length }),
  });

  let smtpListening = false;
  const smtpAddress = await smtp.listen(config.smtp.port, config.smtp.host);
  const captureAddress = capture ? await capture.listen() : null;
  smtpListening = true;
  const { server: http, address: httpAddress } = await listenHttp(app.fetch, config.http.port, config.http.host);
  const push = startPush({ config, store, log, ready, server: http as Server });
  const retention = new RetentionScheduler({
    config,
    store,
    log: log.child({ component: 'retention' }),
    runner: { prune: (policy, now) => writer.prune(policy, now), abort: () => writer.abortPrune() },
    // Plans' storageMessages and retentionDays, per account (issue 15).
    accountRetention: (now) => services.billing.retentionOverrides(now),
  });
  retention.start();
  const billingGrace = new BillingGraceJob({ config, billing: services.billing, log: log.child({ component: 'billing' }) });
  billingGrace.start();
  log.info({ smtp: smtpAddress.port, capture: captureAddress?.port ?? null, http: httpAddress.port, domains: config.domains, tls: certificate.origin }, 'mailroom started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('shutting down: finishing transactions in flight');
      smtpListening = false;
      await retention.stop();
      certificate.stop();
      await billingGrace.stop();
      await Promise.all([smtp.close(), capture?.close()]);
      await push.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await writer.close();
      store.close();
      log.info('stopped');
    })());
  return { config, store, smtp, capture, certificate, writer, retention, services, billingGrace, ready, push, parseQueue, smtpAddress, captureAddress, httpAddress, stop };
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
