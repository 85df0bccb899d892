// Builds a Mailroom around a temp data dir, listening on 127.0.0.1:0.
import { chmodSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { selfSignedCertificate, selfSignedPaths } from '../../src/smtp/tls-certificate.js';
import { tempDir } from './temp.js';
import { configSchema, type Config } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { startMailroom, type Mailroom, type StartOptions } from '../../src/main.js';

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export { tempDir };

export function testConfig(overrides: DeepPartial<Config> & Record<string, unknown> = {}, dataDir = tempDir()): Config {
  const base = configSchema.parse({
    domains: ['mailroom.test', 'example.test'],
    smtp: { host: '127.0.0.1', port: 0, hostname: 'mx.mailroom.test', closeTimeoutMs: 2000 },
    http: { host: '127.0.0.1', port: 0 },
    storage: { dataDir },
    log: { level: 'silent' },
    // A scheduled prune firing mid-test (every 10 minutes by default) would
    // delete mail a test is about to read; tests that test retention set it.
    retention: { schedule: 'off' },
    // Off by default (2587 is a fixed port parallel tests would share); capture tests pass capturePort.
    capture: { port: 0 },
  });
  return merge(base, overrides) as Config;
}

function merge(a: any, b: any): any {
  if (b === undefined) return a;
  if (a === null || typeof a !== 'object' || Array.isArray(a) || b === null || typeof b !== 'object' || Array.isArray(b)) return b;
  const out: any = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = merge(a[k], v);
  return out;
}

let cachedCertificate: Promise<string> | null = null;

/**
 * Seeds the data directory with a self-signed pair made once per test
 * process: making a 2048-bit RSA key costs about a second, and almost every
 * test starts a Mailroom on a fresh directory. Mailroom reuses a valid pair
 * it finds there, as after a restart (tls-certificate.ts).
 */
async function seedCertificate(dataDir: string): Promise<void> {
  cachedCertificate ??= (async () => {
    const dir = tempDir();
    await selfSignedCertificate(dir, 'mx.mailroom.test', silentLogger());
    return dir;
  })();
  const from = selfSignedPaths(await cachedCertificate);
  const to = selfSignedPaths(dataDir);
  mkdirSync(to.dir, { recursive: true, mode: 0o700 });
  copyFileSync(from.key, to.key);
  chmodSync(to.key, 0o600);
  copyFileSync(from.cert, to.cert);
}

export async function startTestMailroom(
  overrides: Parameters<typeof testConfig>[0] = {},
  /** capture: the capture listener on a free port; freshCertificate: let Mailroom make its own self-signed pair. */
  opts: { capture?: boolean; freshCertificate?: boolean } & Pick<StartOptions, 'resolveTxt' | 'resolveMx'> = {},
): Promise<Mailroom & { cleanup(): Promise<void>; http: string }> {
  const config = testConfig(overrides);
  if (!opts.freshCertificate && !(config.smtp.tls.cert && config.smtp.tls.key)) await seedCertificate(config.storage.dataDir);
  // capture: the Email Capture listener on a free port of its own.
  const m = await startMailroom(config, silentLogger(), { resolveTxt: opts.resolveTxt, resolveMx: opts.resolveMx, ...(opts.capture ? { capturePort: 0 } : {}) });
  return {
    ...m,
    http: `http://127.0.0.1:${m.httpAddress.port}`,
    async cleanup() {
      await m.stop();
      rmSync(config.storage.dataDir, { recursive: true, force: true });
    },
  };
}
