// What the retention tests share (test/jobs/retention*.test.ts): a fixed
// clock, a policy with every rule off (each test turns on the one it checks),
// a fresh store in a temp directory per test, and messages stored with a
// given arrival time.
import { rmSync } from 'node:fs';
import { openStore, type Store } from '../../src/store/index.js';
import type { RetentionPolicy } from '../../src/jobs/retention.js';
import { tempDir } from './temp.js';

export const H = 3_600_000;
export const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);

/** Every rule off; a small batch so the tests cross batch boundaries. */
export const OFF: RetentionPolicy = {
  publicMaxAgeMs: 0,
  publicMaxPerInbox: 0,
  privateMaxAgeMs: 0,
  privateMaxPerAccount: 0,
  batchSize: 3,
  maxDatabaseBytes: 0,
  diskHighWater: 0.9,
  diskLowWater: 0.8,
  auditLogDays: 0,
  loginRecordDays: 0,
};

/** A uvu test body that gets a store of its own, closed and removed afterwards. */
export function withStore(fn: (store: Store) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = tempDir();
    const store = openStore(dir);
    try {
      await fn(store);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Stores one message for `inbox` as arrived at `received` (unparsed: retention needs no more); returns its id. */
export function storeAt(store: Store, inbox: string, received: number): string {
  const ids = store.messages.insertReceived({
    raw: Buffer.from(`Subject: t\r\n\r\nbody ${inbox} ${received}\r\n`),
    mailFrom: 'a@example.org',
    recipients: [{ inbox, original: inbox, domain: inbox.split('@')[1]! }],
    ip: '192.0.2.1',
    helo: 'client.example',
    tls: false,
    received,
  });
  return ids.messageIds[0]!;
}

/** The ids among `ids` still stored. */
export const alive = (store: Store, ids: string[]) => ids.filter((id) => store.messages.get(id) !== null);
