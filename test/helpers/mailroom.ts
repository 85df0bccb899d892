// Builds a Mailroom around a temp data dir, listening on 127.0.0.1:0.
import { rmSync } from 'node:fs';
import { tempDir } from './temp.js';
import { configSchema, type Config } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { startMailroom, type Mailroom, type MailroomOptions } from '../../src/main.js';

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

export async function startTestMailroom(overrides: Parameters<typeof testConfig>[0] = {}, options: MailroomOptions = {}): Promise<Mailroom & { cleanup(): Promise<void>; http: string }> {
  const config = testConfig(overrides);
  const m = await startMailroom(config, silentLogger(), options);
  return {
    ...m,
    http: `http://127.0.0.1:${m.httpAddress.port}`,
    async cleanup() {
      await m.stop();
      rmSync(config.storage.dataDir, { recursive: true, force: true });
    },
  };
}
