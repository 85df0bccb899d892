// Retention and your own domains (issue 12): mail of an account's verified
// private domain is private mail, so the public age and per-inbox limits do
// not remove it; an unverified or public account domain's mail is public.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { openStore } from '../../src/store/index.js';
import { prune, type RetentionPolicy } from '../../src/jobs/retention.js';
import { tempDir } from '../helpers/temp.js';

const H = 3_600_000;
const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);
const POLICY: RetentionPolicy = {
  publicMaxAgeMs: 96 * H,
  publicMaxPerInbox: 2,
  privateMaxAgeMs: 0,
  privateMaxPerAccount: 0,
  batchSize: 3,
  maxDatabaseBytes: 0,
  diskHighWater: 0.9,
  diskLowWater: 0.8,
  auditLogDays: 0,
  loginRecordDays: 0,
};

test('a verified private domain keeps its mail; unverified and public ones follow the public rules', async () => {
  const dir = tempDir();
  const store = openStore(dir);
  try {
    const owner = await store.users.create({ username: 'acme' });
    for (const d of ['private.example', 'public.example', 'unverified.example']) store.domains.add(d, owner.id, 't');
    store.domains.markVerified('private.example');
    store.domains.markVerified('public.example');
    store.domains.setPrivate('public.example', false);
    const put = (inbox: string, received: number) =>
      store.messages.insertReceived({ raw: Buffer.from(`Subject: t\r\n\r\n${inbox}\r\n`), mailFrom: 'a@example.org', recipients: [{ inbox, original: inbox, domain: inbox.split('@')[1]! }], ip: '', helo: '', tls: false, received }).messageIds[0]!;
    const ids: Record<string, string[]> = {};
    for (const d of ['private.example', 'public.example', 'unverified.example']) {
      ids[d] = [put(`box@${d}`, NOW - 200 * H), ...[1, 2, 3, 4].map((i) => put(`box@${d}`, NOW - i * H))];
    }
    await prune(store, POLICY, NOW);
    const alive = (d: string) => ids[d]!.filter((id) => store.messages.get(id) !== null).length;
    assert.is(alive('private.example'), 5, 'private: nothing removed');
    assert.is(alive('public.example'), 2, 'public: old one gone, then at most 2 per inbox');
    assert.is(alive('unverified.example'), 2);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
