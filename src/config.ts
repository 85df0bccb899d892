// Loads config/mailroom.yaml, applies MAILROOM_* environment overrides and
// validates the result. Every problem is collected and reported with its key
// path, so an operator fixes a broken file in one go instead of one error per
// restart (the same idea as Mailpit's config.VerifyConfig).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { domainToASCII } from 'node:url';
import cron from 'node-cron';
import ipaddr from 'ipaddr.js';

/** Environment values are strings; these accept both the YAML type and its string form. */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v),
    z.number().int().min(min).max(max),
  );
const bool = () =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'off'].includes(s)) return false;
    return v;
  }, z.boolean());
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
    z.array(item),
  );

const domainName = z
  .string()
  .trim()
  .min(1)
  // Stored in ASCII (punycode) form so an IDN domain has one spelling (RFC 5890).
  .transform((s) => domainToASCII(s.normalize('NFC').toLowerCase().replace(/\.$/, '')))
  .refine((s) => /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(s) || s === 'localhost', { message: 'not a domain name' });

const byteSize = () => int(1024, 1024 * 1024 * 1024);
const fraction = () =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v), z.number().gt(0).max(1));
/** Seconds, fractions allowed (0.5). */
const seconds = (max: number) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v), z.number().min(0).max(max));
/** A node-cron pattern, checked with node-cron's own validate so a typo stops the start (issue 4). */
const cronPattern = () => z.string().trim().refine((s) => cron.validate(s), { message: 'not a valid cron pattern (node-cron)' });
const timeZone = () =>
  z.string().trim().refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not an IANA time zone' },
  );

/** What an account may have: a plan's grant, or the free grant (issue 15). */
const grant = () =>
  z.strictObject({
    privateAddresses: int(0, 1_000_000).default(0),
    customDomains: int(0, 10_000).default(0),
    // 0: none (domains, capture) / the retention settings apply (storage, retention).
    // Enforced while billing is on (docs/billing.md "What each grant does").
    captureMessagesPerMonth: int(0).default(0),
    storageMessages: int(0).default(0),
    retentionDays: int(0, 36500).default(0),
  });

const stripeId = (...prefixes: string[]) =>
  z.string().trim().refine((s) => s === '' || prefixes.some((p) => s.startsWith(p)), { message: `must start with ${prefixes.join(' or ')}` });

/**
 * Billing through Stripe (issue 15). Off while billing.stripe.secretKey is
 * empty; naming Stripe at all (either key, or a plan) asks for both keys and
 * at least one plan, every missing piece listed at once.
 */
const billingSchema = z
  .strictObject({
    stripe: z
      .strictObject({
        secretKey: stripeId('sk_', 'rk_').default(''),
        webhookSecret: stripeId('whsec_').default(''),
        // Where the stripe client sends its requests; tests point it at a stand-in.
        apiBase: z
          .string()
          .trim()
          .default('https://api.stripe.com')
          .refine((u) => /^https?:\/\/[^\s/]+\/?$/.test(u), { message: 'must be an http(s) origin such as https://api.stripe.com' }),
      })
      .prefault({}),
    // Days a lapsed subscription keeps its plan before what exceeds the free grant is released.
    gracePeriodDays: int(0, 365).default(7),
    // What an account without a plan gets while billing is on.
    free: grant().prefault({}),
    // Stripe price id -> what it grants (JSON list in the environment variable).
    plans: z
      .preprocess(
        (v) => {
          if (typeof v !== 'string') return v;
          try {
            return JSON.parse(v);
          } catch {
            return v;
          }
        },
        z.array(grant().extend({ price: z.string().trim().startsWith('price_', { message: 'must start with price_' }), name: z.string().trim().min(1).max(100) })),
      )
      .default([]),
  })
  .prefault({})
  .superRefine((b, ctx) => {
    const named = b.stripe.secretKey !== '' || b.stripe.webhookSecret !== '' || b.plans.length > 0;
    if (!named) return;
    if (!b.stripe.secretKey) ctx.addIssue({ code: 'custom', path: ['stripe', 'secretKey'], message: 'required when billing names Stripe (a secret key sk_...)' });
    if (!b.stripe.webhookSecret) ctx.addIssue({ code: 'custom', path: ['stripe', 'webhookSecret'], message: 'required when billing names Stripe (the webhook signing secret whsec_...)' });
    if (b.plans.length === 0) ctx.addIssue({ code: 'custom', path: ['plans'], message: 'at least one plan (a Stripe price id and what it grants) is required when billing names Stripe' });
    const seen = new Set<string>();
    b.plans.forEach((p, i) => {
      if (seen.has(p.price)) ctx.addIssue({ code: 'custom', path: ['plans', i, 'price'], message: `price ${p.price} is listed twice` });
      seen.add(p.price);
    });
  });

export const configSchema = z.strictObject({
  domains: list(domainName).refine((d) => d.length > 0, { message: 'at least one domain is required' }).default(['mailroom.test']),
  smtp: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: int(0, 65535).default(2525),
      hostname: z.string().default(''),
      maxMessageSize: byteSize().default(25 * 1024 * 1024),
      maxRecipients: int(1, 10000).default(100),
      maxClients: int(1, 100000).default(200),
      socketTimeoutMs: int(1000).default(60_000),
      closeTimeoutMs: int(0).default(30_000),
      maxCommandLength: int(512, 65536).default(1024),
      maxConnectionsPerIp: int(1, 100000).default(20),
      connectionsPerIpPerMinute: int(1, 1_000_000).default(300),
      sessionTimeoutMs: int(1000).default(600_000),
      minDataRate: int(0).default(64),
      dataRateWindowMs: int(1000).default(30_000),
      minFreeDiskBytes: int(0).default(256 * 1024 * 1024),
      // Memory for mail being received across all sessions at once, each DATA
      // byte counted three times until its commit (smtp/data-budget.ts; issue
      // 10: ten 25 MB messages in parallel added 1 GB of RSS); past it 452 4.3.1.
      maxDataBytesInFlight: byteSize().default(256 * 1024 * 1024),
      // Acknowledged messages not yet ready (processing behind the 250s,
      // issue 16): the absolute cap of the backlog (smtp/backlog-gate.ts). 0: no bound.
      maxPendingMessages: int(0).default(5000),
      // The backlog in seconds of processing at the measured rate (the bound
      // in time; a floor keeps the parse workers fed). 0, the default: the
      // count alone (at 0.25 s, 5 KB mail from 64 senders was made ready
      // 20-40% slower on two cores: docs/performance.md run O).
      maxPendingSeconds: seconds(3600).default(0.05),
      // How long the reply to a final dot is held while the backlog is over
      // its bound, before 451 4.3.0; at most half of socketTimeoutMs (an idle
      // session is dropped at that timeout). 0: 451 at once.
      maxPendingWaitSeconds: int(0, 600).default(30),
      greetPauseMs: int(0, 10_000).default(100),
      greetPauseTrustMinutes: int(0).default(1440),
      tls: z
        .strictObject({
          cert: z.string().default(''),
          key: z.string().default(''),
        })
        .default({ cert: '', key: '' })
        .refine((t) => Boolean(t.cert) === Boolean(t.key), { message: 'cert and key must be set together' }),
    })
    .prefault({})
    .superRefine((smtp, ctx) => {
      // The budget charges each DATA byte COPIES_UNTIL_COMMITTED (3) times: below
      // that, a message of the largest allowed size could never be received.
      if (smtp.maxDataBytesInFlight > 0 && smtp.maxDataBytesInFlight < 3 * smtp.maxMessageSize) {
        ctx.addIssue({ code: 'custom', path: ['maxDataBytesInFlight'], message: `must be at least 3 × smtp.maxMessageSize (${3 * smtp.maxMessageSize} bytes): each byte being received is counted three times until it is stored` });
      }
    }),
  // Email Capture (issue 12): the authenticated SMTP port an application
  // under test sends through; it stores every message under its recipient,
  // private to the sending account, and relays nothing. It listens on smtp.host.
  capture: z
    .strictObject({
      // 0: no capture listener.
      port: int(0, 65535).default(2587),
      // TLS from the first byte (RFC 8314 "submissions", port 465 style) instead of STARTTLS.
      implicitTls: bool().default(false),
      // AUTH before TLS: only on a network the operator trusts (RFC 4954 §4 wants TLS for PLAIN).
      allowPlainAuth: bool().default(false),
      // Per message, for capture only; 0: smtp.maxMessageSize (never above it).
      maxMessageSize: int(0, 1024 * 1024 * 1024).default(0),
      // Per account; 0: no limit.
      messagesPerHour: int(0, 10_000_000).default(1000),
      maxStoredMessages: int(0, 1_000_000_000).default(0),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: int(0, 65535).default(8080),
      publicUrl: z
        .string()
        .default('')
        .refine((u) => u === '' || /^https?:\/\/[^\s/]+/.test(u), { message: 'must be an http(s) URL or empty' })
        .transform((u) => u.replace(/\/+$/, '')),
      // Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names
      // the real client (issue 13); empty: the TCP peer is the client.
      trustedProxies: list(
        z
          .string()
          .trim()
          .refine((s) => (s.includes('/') ? ipaddr.IPv4.isValidCIDRFourPartDecimal(s) || ipaddr.IPv6.isValidCIDR(s) : ipaddr.IPv4.isValidFourPartDecimal(s) || ipaddr.IPv6.isValid(s)), { message: 'not an IP address or CIDR range' }),
      ).default([]),
    })
    .prefault({}),
  storage: z
    .strictObject({
      dataDir: z.string().min(1).default('./data'),
      maxDatabaseBytes: int(0).default(0),
      // sqlite: the embedded store in dataDir (one node). postgres: a shared
      // PostgreSQL at postgresUrl, for several nodes (issue 14, docs/scaling.md).
      engine: z.enum(['sqlite', 'postgres']).default('sqlite'),
      postgresUrl: z
        .string()
        .trim()
        .default('')
        .refine((u) => u === '' || /^postgres(ql)?:\/\/\S+$/.test(u), { message: 'must be a postgres:// (or postgresql://) URL' }),
    })
    .prefault({})
    .superRefine((s, ctx) => {
      if (s.engine === 'postgres' && s.postgresUrl === '') {
        ctx.addIssue({ code: 'custom', path: ['postgresUrl'], message: 'required when storage.engine is postgres (postgres://user@host:5432/database)' });
      }
    }),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      content: bool().default(false),
    })
    .prefault({}),
  privacy: z
    .strictObject({
      reservedLocalParts: list(z.string().trim().toLowerCase().min(1)).default([
        'admin',
        'administrator',
        'hostmaster',
        'postmaster',
        'webmaster',
        'abuse',
        'root',
      ]),
      reservedHandling: z.enum(['admin-only', 'reject']).default('admin-only'),
      // Unowned addresses are readable by anyone (true) or only by signed-in users (false).
      publicInboxes: bool().default(true),
      // Releasing a private address deletes its stored mail (true) or makes it public (false).
      releaseDeletesMail: bool().default(false),
      // With publicInboxes off: who may read unowned addresses, or refuse them at RCPT.
      unownedHandling: z.enum(['signed-in', 'admin-only', 'reject']).default('signed-in'),
      // Store (and show) the sending host's IP and HELO name, and readers' IPs in the audit log.
      storeSenderIp: bool().default(true),
      // Days the audit log keeps its entries (0: forever), and login records.
      auditLogDays: int(0, 36500).default(365),
      loginRecordDays: int(0, 36500).default(30),
      // Who to ask for an export or deletion; shown on /privacy.
      contact: z.string().trim().max(500).default(''),
    })
    .prefault({}),
  retention: z
    .strictObject({
      // When the retention job runs, and in which time zone the pattern is read.
      // 'off' runs no scheduled prune (an operator pruning from cron via the CLI, or a test).
      schedule: z.union([z.literal('off'), cronPattern()]).default('*/10 * * * *'),
      timezone: timeZone().default('UTC'),
      // Messages deleted per transaction; SMTP is answered between batches.
      batchSize: int(1, 100_000).default(200),
      public: z
        .strictObject({
          maxAgeHours: int(0, 24 * 365 * 100).default(96),
          maxMessagesPerInbox: int(0, 10_000_000).default(6),
        })
        .prefault({}),
      private: z
        .strictObject({
          maxMessagesPerAccount: int(0, 1_000_000_000).default(0),
          maxAgeHours: int(0, 24 * 365 * 100).default(0),
        })
        .prefault({}),
      // Fractions of storage.maxDatabaseBytes: past high water, oldest public mail goes until low water.
      diskHighWater: fraction().default(0.9),
      diskLowWater: fraction().default(0.8),
    })
    .prefault({})
    .refine((r) => r.diskLowWater <= r.diskHighWater, { message: 'diskLowWater must not be above diskHighWater' }),
  // Mailsac's websocket at /incoming-messages (issue 11).
  websocket: z
    .strictObject({
      // Whether keys may watch public (unowned) inboxes; private ones need their enablews setting.
      publicInboxes: bool().default(true),
      maxConnectionsPerKey: int(1, 100_000).default(20),
      maxConnectionsPerIp: int(1, 100_000).default(50),
      pingIntervalMs: int(100, 3_600_000).default(30_000),
      // Bytes a socket may have waiting to be sent; a reader slower than that is dropped.
      maxBufferedBytes: int(64 * 1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
    })
    .prefault({}),
  // Webhook and Slack posts for ready messages (issue 11).
  webhooks: z
    .strictObject({
      // Loopback, RFC 1918, unique-local and CGNAT targets are refused unless this is on (GUIDE: fixed name).
      allowPrivateNetworks: bool().default(false),
      allowedPorts: list(int(1, 65535)).refine((l) => l.length > 0, { message: 'at least one port' }).default([80, 443, 8080, 8443]),
      timeoutMs: int(100, 300_000).default(10_000),
      // Retries (exponential backoff, at most an hour apart) stop this long after the message was ready.
      retryHours: int(0, 24 * 30).default(24),
    })
    .prefault({}),
  auth: z
    .strictObject({
      adminKey: z
        .string()
        .default('')
        .refine((k) => k === '' || k.length >= 24, { message: 'must be at least 24 characters' }),
      // Whether anyone may create an account on the login page; admins always can.
      registration: bool().default(false),
      // How long a web login lasts without use.
      sessionHours: int(1, 24 * 365).default(24 * 7),
    })
    .prefault({}),
  billing: billingSchema,
});

export type Config = z.output<typeof configSchema>;

/** Names kept short because the container and test harnesses rely on them (GUIDE: contracts). */
const ENV_ALIASES: Record<string, string> = {
  MAILROOM_DATA_DIR: 'storage.dataDir',
  MAILROOM_ADMIN_KEY: 'auth.adminKey',
  MAILROOM_PUBLIC_URL: 'http.publicUrl',
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** smtp.maxMessageSize -> MAILROOM_SMTP_MAX_MESSAGE_SIZE */
export function envNameFor(keyPath: string): string {
  return (
    'MAILROOM_' +
    keyPath
      .split('.')
      .map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
      .join('_')
  );
}

function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

function setPath(target: Record<string, unknown>, keyPath: string, value: unknown): void {
  const parts = keyPath.split('.');
  let node = target;
  for (const p of parts.slice(0, -1)) {
    if (node[p] === null || typeof node[p] !== 'object' || Array.isArray(node[p])) node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

/** Every configurable key path with its environment variable names. */
export function configKeys(): Array<{ path: string; env: string[] }> {
  const defaults = configSchema.parse({});
  return leafPaths(defaults).map((p) => ({
    path: p,
    env: [envNameFor(p), ...Object.entries(ENV_ALIASES).filter(([, v]) => v === p).map(([k]) => k)],
  }));
}

export interface LoadOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Explicit file; otherwise MAILROOM_CONFIG, otherwise config/mailroom.yaml from cwd. */
  file?: string;
  /** Working directory for relative paths; defaults to process.cwd(). */
  cwd?: string;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const file = path.resolve(cwd, opts.file ?? env.MAILROOM_CONFIG ?? 'config/mailroom.yaml');
  const problems: string[] = [];

  let raw: Record<string, unknown> = {};
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // A missing default file is fine (defaults apply); a named file that is missing is not.
    const named = Boolean(opts.file ?? env.MAILROOM_CONFIG);
    if (named || (err as NodeJS.ErrnoException).code !== 'ENOENT') {
      problems.push(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (text !== undefined) {
    try {
      const doc = parseYaml(text);
      if (doc === null || doc === undefined) raw = {};
      else if (typeof doc === 'object' && !Array.isArray(doc)) raw = doc as Record<string, unknown>;
      else problems.push(`${file}: the top level must be a mapping of keys`);
    } catch (err) {
      problems.push(`${file}: YAML syntax: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  for (const { path: keyPath, env: names } of configKeys()) {
    for (const name of names) {
      const v = env[name];
      if (v !== undefined && v !== '') setPath(raw, keyPath, v);
    }
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const where = issue.path.length ? issue.path.join('.') : '(top level)';
      const envHint = issue.path.length ? ` (env ${envNameFor(issue.path.filter((p) => typeof p === 'string').join('.'))})` : '';
      problems.push(`${where}: ${issue.message}${envHint}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);

  const config = result.data!;
  config.storage.dataDir = path.resolve(cwd, config.storage.dataDir);
  if (config.smtp.tls.cert) config.smtp.tls.cert = path.resolve(cwd, config.smtp.tls.cert);
  if (config.smtp.tls.key) config.smtp.tls.key = path.resolve(cwd, config.smtp.tls.key);
  return config;
}
