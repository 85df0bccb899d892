// Builds the web app around a real temp store, for the UI tests (not a test file itself).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSchema, type Config } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { openStore, type Store } from '../../src/store/index.js';
import { parseMessage } from '../../src/mail/parse.js';
import { canonicalAddress } from '../../src/policy/address.js';
import { createApp } from '../../src/http/app.js';
import type { WebDeps } from '../../src/http/deps.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');

export function fixture(name: string): Buffer {
  return readFileSync(path.join(FIXTURES, name));
}

export interface Harness {
  app: ReturnType<typeof createApp>;
  store: Store;
  config: Config;
  dir: string;
  /** Stores raw mail for `to` and (unless parse is false) parses it; returns the message id. */
  deliver(raw: Buffer | string, to: string, opts?: { received?: number; parse?: boolean }): Promise<string>;
  close(): void;
}

export function harness(overrides: Record<string, unknown> = {}): Harness {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailroom-ui-'));
  const config = configSchema.parse({
    domains: ['mailroom.test', 'example.test'],
    storage: { dataDir: dir },
    log: { level: 'silent' },
    ...overrides,
  });
  const store = openStore(dir);
  const deps: WebDeps = {
    config,
    store,
    log: silentLogger(),
    // The UI never reads health; its shape belongs to the SMTP side and keeps growing.
    health: () => ({ smtp: { ok: true, connections: 0 }, parseQueue: 0 }) as unknown as ReturnType<WebDeps['health']>,
    // No writer thread here: a read by id of an unparsed message polls the store, briefly.
    readyWaitMs: 200,
  };
  const app = createApp(deps);
  let clock = Date.UTC(2024, 4, 20, 12, 0, 0);
  return {
    app,
    store,
    config,
    dir,
    async deliver(raw, to, opts = {}) {
      const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
      const c = canonicalAddress(to);
      if (!c) throw new Error(`bad test address ${to}`);
      const received = opts.received ?? (clock += 1000);
      const ids = store.messages.insertReceived({
        raw: bytes,
        mailFrom: 'sender@outside.example',
        recipients: [{ inbox: c.inbox, original: c.original, domain: c.domain }],
        ip: '192.0.2.1',
        helo: 'outside.example',
        tls: false,
        received,
      });
      if (opts.parse !== false) store.messages.applyParse(ids.contentId, await parseMessage(bytes));
      return ids.messageIds[0]!;
    },
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The headers every page response must carry (GUIDE: security headers on every page). */
export function securityHeaderProblems(res: Response): string[] {
  const h = res.headers;
  const out: string[] = [];
  const csp = h.get('content-security-policy') ?? '';
  if (!csp) out.push('no CSP');
  if (/script-src[^;]*'unsafe-inline'/.test(csp)) out.push('CSP allows inline script');
  if (h.get('x-content-type-options') !== 'nosniff') out.push('no nosniff');
  if (!/frame-ancestors/.test(csp) && !h.get('x-frame-options')) out.push('no frame-ancestors');
  if (!h.get('referrer-policy')) out.push('no referrer policy');
  return out;
}
