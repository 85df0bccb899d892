// Everything a node runs over its store, whatever the engine (issue 14): the
// SMTP listeners, the services, the web app and API, push, and the jobs.
// main.ts opens the engine (SQLite with its writer thread, or a PostgreSQL
// pool with its group committer) and hands over what differs: the store, how
// a message is made durable, the ready events, bulk deletes and where
// retention runs. Stopping reverses the order: listeners first, so nothing
// new arrives, then push and the web, then the engine.
import { serve, type ServerType } from '@hono/node-server';
import type { EngineStore } from './store/engine-store.js';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { IncomingMessage, StoredIds } from './store/messages.js';
import type { MessageEraser } from './store/bulk-delete.js';
import type { DeliveryQueue } from './store/delivery-queue.js';
import { SmtpReceiver } from './smtp/receiver.js';
import { receiverOwnership } from './smtp/receiver-ownership.js';
import { createApp } from './http/app.js';
import { AccountService } from './services/accounts.js';
import { captureRole } from './smtp/capture-role.js';
import { startCertificateSource, type CertificateSource } from './smtp/tls-certificate.js';
import { loginThrottleFor } from './http/middleware/rate-limit.js';
import { RetentionScheduler, type SchedulerDeps } from './jobs/scheduler.js';
import type { ReadyEvents } from './ingest/ready-events.js';
import { startPush, type Push } from './push/index.js';
import { ingestWithForwards, withForwards } from './push/forwarding.js';
import { createServices, type Services } from './services/index.js';
import { BillingGraceJob } from './jobs/billing-grace.js';
import type { MxResolver, TxtResolver } from './services/domains.js';

/** Seams for tests. */
export interface StartOptions {
  /** Binds the capture listener here instead of capture.port (0: any free port), even when capture.port is 0. */
  capturePort?: number;
  /** A DNS TXT resolver instead of the system one (domain verification, issue 12). */
  resolveTxt?: TxtResolver;
  /** A DNS MX resolver instead of the system one (verifiedMx); with only resolveTxt given, MX lookups find nothing. */
  resolveMx?: MxResolver;
}

/** What differs between the engines. */
export interface EngineParts {
  store: EngineStore;
  /** Makes a message durable; resolves after its commit (the 250 waits for it). */
  ingest: (message: IncomingMessage) => Promise<StoredIds>;
  /** Acknowledged messages not ready yet (back-pressure, /healthz). */
  pendingMessages: () => number;
  /** Of those, the ones not handed to a parse worker yet: being stored, or queued (smtp.maxPendingSeconds bounds them). */
  queuedMessages: () => number;
  /** Backlog reports, with the messages made ready since the last (smtp/backlog-gate.ts); absent: no held replies. */
  watchBacklog?: (listener: (madeReady: number) => void) => void;
  /** Messages waiting for processing on this node (/healthz parseQueue). */
  parseQueueLength: () => number;
  ready: ReadyEvents;
  /** Bulk deletes (delete all, release with delete, data rights). */
  eraser: MessageEraser;
  /** Where a retention run's prune executes (the SQLite writer thread; PostgreSQL: one node at a time). */
  retentionRunner: NonNullable<SchedulerDeps['runner']>;
  /** The webhook queue's rows (PostgreSQL: claimed across nodes); absent: the SQLite store's. */
  deliveries?: DeliveryQueue;
  /** Closes the engine once the node has stopped serving (commits what was acknowledged, then the store). */
  close(): Promise<void>;
  /** Runs a scheduled job where only one node runs it at a time (PostgreSQL); null: another node does. Absent: here. */
  exclusive?: (name: string) => <T>(fn: () => Promise<T>) => Promise<T | null>;
}

export interface Serving {
  smtp: SmtpReceiver;
  /** The Email Capture listener (issue 12); null when capture.port is 0. */
  capture: SmtpReceiver | null;
  /** The STARTTLS certificate both listeners offer: configured, or self-signed in the data directory. */
  certificate: CertificateSource;
  services: Services;
  push: Push;
  retention: RetentionScheduler;
  billingGrace: BillingGraceJob;
  smtpAddress: AddressInfo;
  captureAddress: AddressInfo | null;
  httpAddress: AddressInfo;
  /** Stops taking work, ends push, the web and the jobs, then closes the engine; once, however often called. */
  stop(): Promise<void>;
}

export async function serveNode(config: Config, log: Logger, engine: EngineParts, opts: StartOptions = {}): Promise<Serving> {
  const { store, ready, eraser } = engine;
  // Every listener offers STARTTLS (issue 12): with no certificate configured, a self-signed one.
  const certificate = await startCertificateSource({ config, log: log.child({ component: 'tls' }) });
  // Forwards looked up before the engine stores; those still looking count in the backlog.
  // The receiver's per-recipient and per-message lookups: cached where the engine offers it (issue 16).
  const lookups = store.lookups ?? store.data;
  const forwarded = ingestWithForwards({ data: lookups }, config, (message) => engine.ingest(message));
  const smtp = new SmtpReceiver({
    config,
    ingest: forwarded.ingest,
    ...receiverOwnership(lookups),
    pendingMessages: () => engine.pendingMessages() + forwarded.inProgress(),
    queuedMessages: () => engine.queuedMessages() + forwarded.inProgress(),
    watchBacklog: engine.watchBacklog,
    log: log.child({ component: 'smtp' }),
    tls: certificate.credentials,
  });
  // Built before the capture listener, which asks billing for each account's monthly allowance.
  const services = createServices({ store, config, eraser, log: log.child({ component: 'billing' }), resolveTxt: opts.resolveTxt, resolveMx: opts.resolveMx });
  const capture =
    config.capture.port > 0 || opts.capturePort !== undefined
      ? new SmtpReceiver({
          config,
          ingest: (message) => engine.ingest(message),
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

  let smtpListening = false;
  const app = createApp({
    config,
    store,
    log: log.child({ component: 'http' }),
    eraser,
    services,
    ready,
    // POST /api/outgoing-messages stores local mail the way SMTP does (issue 12), forwards included.
    ingest: async (message) => engine.ingest(await withForwards(store, config, message)),
    resolveTxt: opts.resolveTxt,
    resolveMx: opts.resolveMx,
    health: () => ({ smtp: { ok: smtp.connections >= 0 && smtpListening, connections: smtp.connections, ...smtp.stats }, parseQueue: engine.parseQueueLength() }),
  });

  const smtpAddress = await smtp.listen(config.smtp.port, config.smtp.host);
  const captureAddress = capture ? await capture.listen() : null;
  smtpListening = true;
  const { server: http, address: httpAddress } = await listenHttp(app.fetch, config.http.port, config.http.host);
  const push = startPush({ config, store, log, ready, server: http as Server, deliveries: engine.deliveries });
  const retention = new RetentionScheduler({
    config,
    log: log.child({ component: 'retention' }),
    runner: engine.retentionRunner,
    // Plans' storageMessages and retentionDays, per account (issue 15).
    accountRetention: (now) => services.billing.retentionOverrides(now),
  });
  retention.start();
  const billingGrace = new BillingGraceJob({ config, billing: services.billing, log: log.child({ component: 'billing' }), exclusive: engine.exclusive?.('billing-grace') });
  billingGrace.start();

  log.info(
    { engine: store.engine, smtp: smtpAddress.port, capture: captureAddress?.port ?? null, http: httpAddress.port, domains: config.domains, tls: certificate.origin },
    'mailroom started',
  );
  let stopping: Promise<void> | undefined;
  return {
    smtp,
    capture,
    certificate,
    services,
    push,
    retention,
    billingGrace,
    smtpAddress,
    captureAddress,
    httpAddress,
    stop: () =>
      (stopping ??= (async () => {
        log.info('shutting down: finishing transactions in flight');
        smtpListening = false;
        await retention.stop();
        certificate.stop();
        await billingGrace.stop();
        await Promise.all([smtp.close(), capture?.close()]);
        await push.close();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        await engine.close();
        log.info('stopped');
      })()),
  };
}

function listenHttp(fetch: (req: Request) => Response | Promise<Response>, port: number, hostname: string): Promise<{ server: ServerType; address: AddressInfo }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, (info) => resolve({ server, address: info as AddressInfo }));
    server.once('error', reject);
  });
}
