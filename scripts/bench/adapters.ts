// The receivers the bench compares, each started the way its users run it and
// listening on 127.0.0.1 with an ephemeral port. They run inside the target
// child process (serve-target.ts), never in the load client's process.
//   mailroom        the appliance with its default durable settings (per-IP
//                   connection limits lifted: all load comes from one address)
//   bare            smtp-server with Mailroom's connection options, discarding
//                   every message: the ceiling of the network layer
//   maildev-memory  MailDev 3 as `maildev` starts it (metadata in memory; it
//                   still writes each .eml to a temp directory)
//   maildev-dir     MailDev 3 with --mail-directory
//   mailroom-pg     one PostgreSQL receiving node (src/ingest/pg-receiving-node.ts)
//                   on TargetOptions.postgresUrl, same limits lifted; the bench
//                   starts one child per node (issue 14). Not in TARGET_KINDS:
//                   it needs a database, so bench/pg-ingest.ts runs it.
//   mailroom-pg-node a whole PostgreSQL node (src/postgres-node.ts): SMTP, web
//                   and API on TargetOptions.postgresUrl, as `mailroom` is for
//                   SQLite; bench/pg-http-read.ts times its HTTP reads. Not in
//                   TARGET_KINDS either.
import { SMTPServer } from 'smtp-server';
import { configSchema, envNameFor } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { startMailroom, type Mailroom } from '../../src/main.js';
import { startPgReceivingNode } from '../../src/ingest/pg-receiving-node.js';
import { startPostgresNode } from '../../src/postgres-node.js';
import type { ReadyEvents } from '../../src/ingest/ready-events.js';

export type TargetKind = 'mailroom' | 'bare' | 'maildev-memory' | 'maildev-dir' | 'mailroom-pg' | 'mailroom-pg-node';
export const TARGET_KINDS: TargetKind[] = ['mailroom', 'bare', 'maildev-memory', 'maildev-dir'];

export interface TargetOptions {
  /** Mailroom's data dir or MailDev's mail directory. */
  dataDir: string;
  /** Mailroom: the admin API key (auth.adminKey). */
  adminKey?: string;
  domain?: string;
  /** mailroom-pg, mailroom-pg-node: the (fresh, bench-only) database this node stores into. */
  postgresUrl?: string;
}

export interface RunningTarget {
  smtpPort: number;
  httpPort: number | null;
  /** Work still queued after the 250 (Mailroom's parse queue), for the idle wait. */
  backlog(): number;
  idle(): Promise<void>;
  info(): Record<string, unknown>;
  stop(): Promise<void>;
  mailroom?: Mailroom;
  /** Where this receiver publishes ready events (Mailroom's, or a PostgreSQL node's LISTEN). */
  ready?: ReadyEvents;
}

export async function startTarget(kind: TargetKind, opts: TargetOptions): Promise<RunningTarget> {
  switch (kind) {
    case 'mailroom':
      return startMailroomTarget(opts);
    case 'bare':
      return startBare();
    case 'maildev-memory':
      return startMailDev(undefined);
    case 'maildev-dir':
      return startMailDev(opts.dataDir);
    case 'mailroom-pg':
      return startMailroomPgNode(opts);
    case 'mailroom-pg-node':
      return startWholePgNode(opts);
  }
}

/**
 * The back-pressure keys, when the bench's environment sets them
 * (MAILROOM_SMTP_MAX_PENDING_SECONDS, MAILROOM_SMTP_MAX_PENDING_MESSAGES), to
 * compare settings; otherwise the defaults, as everything else here.
 */
function backPressureFromEnv(): { maxPendingSeconds?: number; maxPendingMessages?: number } {
  const out: { maxPendingSeconds?: number; maxPendingMessages?: number } = {};
  for (const key of ['maxPendingSeconds', 'maxPendingMessages'] as const) {
    const v = process.env[envNameFor(`smtp.${key}`)];
    if (v !== undefined && v !== '') out[key] = Number(v);
  }
  return out;
}

async function startMailroomTarget(opts: TargetOptions): Promise<RunningTarget> {
  const config = configSchema.parse({
    domains: [opts.domain ?? 'mailroom.test'],
    // Durable defaults throughout; only the per-IP abuse limits are lifted,
    // because every bench connection comes from 127.0.0.1.
    smtp: { host: '127.0.0.1', port: 0, hostname: 'mx.mailroom.test', maxConnectionsPerIp: 100_000, connectionsPerIpPerMinute: 1_000_000, ...backPressureFromEnv() },
    // No Email Capture listener: its default port is fixed (2587), so two
    // Mailroom targets at once (or any other Mailroom on the machine) would
    // collide on it, and the bench does not measure it.
    capture: { port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    storage: { dataDir: opts.dataDir },
    log: { level: 'silent' },
    auth: { adminKey: opts.adminKey ?? '' },
    // Retention rules off: a scheduled run (every 10 minutes by default, 6
    // messages per public inbox) would otherwise cut the seeded store down in
    // the middle of the read bench. The prune bench runs retention itself.
    retention: { public: { maxAgeHours: 0, maxMessagesPerInbox: 0 } },
  });
  const m = await startMailroom(config, silentLogger());
  return {
    smtpPort: m.smtpAddress.port,
    httpPort: m.httpAddress.port,
    // Acknowledged, not ready: what smtp.maxPendingMessages bounds (issue 16);
    // an older build reports only its parse queue, once a second.
    backlog: () => (m.writer as { pendingMessages?: number }).pendingMessages ?? m.parseQueue.length,
    idle: () => m.parseQueue.idle(),
    info: () => ({
      // Commits happen in the writer thread when there is one (its stats), else on the main thread.
      ...((m as { writer?: { stats?: object } }).writer?.stats ?? { commits: m.store.committer.commits, maxBatch: m.store.committer.maxBatch }),
      accepted: m.smtp.stats.accepted,
      storageErrors: m.smtp.stats.storageErrors,
    }),
    stop: () => m.stop(),
    mailroom: m,
    ready: m.ready,
  };
}

async function startMailroomPgNode(opts: TargetOptions): Promise<RunningTarget> {
  if (!opts.postgresUrl) throw new Error('mailroom-pg needs postgresUrl');
  const config = configSchema.parse({
    domains: [opts.domain ?? 'mailroom.test'],
    smtp: { host: '127.0.0.1', port: 0, hostname: 'mx.mailroom.test', maxConnectionsPerIp: 100_000, connectionsPerIpPerMinute: 1_000_000, ...backPressureFromEnv() },
    http: { host: '127.0.0.1', port: 0 },
    storage: { dataDir: opts.dataDir, engine: 'postgres', postgresUrl: opts.postgresUrl },
    log: { level: 'silent' },
    retention: { public: { maxAgeHours: 0, maxMessagesPerInbox: 0 } },
  });
  const node = await startPgReceivingNode(config, silentLogger());
  return {
    smtpPort: node.smtpAddress.port,
    // A receiving node serves no HTTP; the whole node (mailroom-pg-node) does.
    httpPort: null,
    backlog: () => node.ingest.pendingMessages,
    idle: () => node.ingest.idle(),
    info: () => ({ ...node.writer.stats, accepted: node.smtp.stats.accepted, storageErrors: node.smtp.stats.storageErrors }),
    stop: () => node.stop(),
    ready: node.ready,
  };
}

async function startWholePgNode(opts: TargetOptions): Promise<RunningTarget> {
  if (!opts.postgresUrl) throw new Error('mailroom-pg-node needs postgresUrl');
  // The same settings as the SQLite target (startMailroomTarget) on the other engine.
  const config = configSchema.parse({
    domains: [opts.domain ?? 'mailroom.test'],
    smtp: { host: '127.0.0.1', port: 0, hostname: 'mx.mailroom.test', maxConnectionsPerIp: 100_000, connectionsPerIpPerMinute: 1_000_000, ...backPressureFromEnv() },
    capture: { port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    storage: { dataDir: opts.dataDir, engine: 'postgres', postgresUrl: opts.postgresUrl },
    log: { level: 'silent' },
    auth: { adminKey: opts.adminKey ?? '' },
    retention: { public: { maxAgeHours: 0, maxMessagesPerInbox: 0 } },
  });
  const node = await startPostgresNode(config, silentLogger());
  return {
    smtpPort: node.smtpAddress.port,
    httpPort: node.httpAddress.port,
    backlog: () => node.engine.ingest.pendingMessages,
    idle: () => node.engine.ingest.idle(),
    info: () => ({ ...node.engine.writer.stats }),
    stop: () => node.stop(),
    ready: node.ready,
  };
}

async function startBare(): Promise<RunningTarget> {
  let accepted = 0;
  const server = new SMTPServer({
    banner: 'bare ESMTP',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, cb) {
      stream.on('data', () => {});
      stream.once('end', () => {
        accepted++;
        cb(null, 'Ok: discarded');
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;
  return {
    smtpPort: port,
    httpPort: null,
    backlog: () => 0,
    idle: async () => {},
    info: () => ({ accepted }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startMailDev(mailDirectory: string | undefined): Promise<RunningTarget> {
  // Imported here so the other targets do not load MailDev (and Fastify, socket.io) at all.
  const { MailDev } = await import('maildev');
  const md = new MailDev({
    smtp: 0,
    ip: '127.0.0.1',
    web: 0,
    webIp: '127.0.0.1',
    silent: true,
    ...(mailDirectory ? { mailDirectory } : {}),
  });
  const servers = await md.start();
  const smtpPort = servers.smtp.getAddress().port;
  const httpPort = servers.api?.getAddress()?.port ?? null;
  return {
    smtpPort,
    httpPort,
    backlog: () => 0,
    idle: async () => {},
    info: () => ({}),
    stop: () => md.stop(),
  };
}
