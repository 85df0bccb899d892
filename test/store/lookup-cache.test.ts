// The receiver's cached lookups (store/lookup-cache.ts, issue 16): a write
// in this process is seen by the next lookup, whichever way it was made; a
// write by another process (the CLI: another connection on the same file)
// within LOOKUP_TTL_MS, and not kept longer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { openStore } from '../../src/store/index.js';
import { cachedLookups, LookupCache, LOOKUP_TTL_MS } from '../../src/store/lookup-cache.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir();
const store = openStore(dir);
/** Another process on the same file, as the CLI is. */
const other = openStore(dir);
test.after(() => {
  store.close();
  other.close();
  rmSync(dir, { recursive: true, force: true });
});

const owner = store.users.createWithoutPassword({ username: 'owner' });

function verifiedDomain(domain: string, catchAll = true): void {
  store.domains.add(domain, owner.id, `token-${domain}`);
  store.domains.markVerified(domain);
  store.domains.setCatchAll(domain, catchAll);
}

test('LookupCache: kept for its time, dropped on changed(), bounded, not kept when told', () => {
  let now = 0;
  const cache = new LookupCache(1000, 3, () => now);
  let loads = 0;
  const load = () => ++loads;
  assert.is(cache.get('k', load), 1);
  assert.is(cache.get('k', load), 1, 'answered from the cache');
  now = 999;
  assert.is(cache.get('k', load), 1);
  now = 1000;
  assert.is(cache.get('k', load), 2, 'loaded again once the entry is ttl old');
  cache.changed();
  assert.is(cache.get('k', load), 3, 'loaded again after changed()');
  for (const k of ['a', 'b', 'c']) cache.get(k, load);
  assert.ok(cache.size <= 3, `at most maxEntries (${cache.size})`);
  assert.is(cache.get('x', load, false), loads);
  assert.is(cache.get('x', load, false), loads, 'loaded each time');
  const before = loads;
  assert.is(cache.get('x', load), before + 1);
});

test('a write in this process is seen by the next lookup: sync store, repositories, cascade', async () => {
  const { lookups } = store;
  verifiedDomain('cached.example');
  assert.is(await lookups.domains.catchAllInbox('cached.example'), '*@cached.example');
  assert.ok(await lookups.domains.verifiedOwner('cached.example'));
  assert.is((await lookups.domains.pushSettings('cached.example'))?.forward, null);

  store.domains.setCatchAll('cached.example', false);
  assert.is(await lookups.domains.catchAllInbox('cached.example'), null, 'catch-all turned off (synchronous store)');

  await store.data.domains.updateSettings('cached.example', { forward: 'target@mailroom.test' });
  assert.is((await lookups.domains.pushSettings('cached.example'))?.forward, 'target@mailroom.test', 'forward set (repositories)');

  await store.data.domains.remove('cached.example');
  assert.is(await lookups.domains.verifiedOwner('cached.example'), null, 'removed domain no longer taken');
  assert.is(await lookups.domains.pushSettings('cached.example'), null);

  assert.is(await lookups.addresses.ownerOf('mine@mailroom.test'), null);
  assert.is(await lookups.addresses.get('mine@mailroom.test'), null);
  const user = store.users.createWithoutPassword({ username: 'leaving' });
  await store.data.addresses.reserve('mine@mailroom.test', user.id, { forward: 'elsewhere@mailroom.test' });
  assert.is(await lookups.addresses.ownerOf('mine@mailroom.test'), user.id, 'reserved');
  assert.is((await lookups.addresses.get('mine@mailroom.test'))?.forward, 'elsewhere@mailroom.test');

  store.domains.add('leaving.example', user.id, 'token-leaving');
  store.domains.markVerified('leaving.example');
  assert.ok(await lookups.domains.verifiedOwner('leaving.example'));
  // ON DELETE CASCADE takes the account's domain with the user row.
  store.users.eraseAccount(user.id);
  assert.is(await lookups.addresses.ownerOf('mine@mailroom.test'), null, 'erased with its account');
  assert.is(await lookups.domains.verifiedOwner('leaving.example'), null, 'cascaded with its account');
});

test('a lookup inside a transaction that rolls back is not kept', async () => {
  const user = store.users.createWithoutPassword({ username: 'undone' });
  const inbox = 'undone@mailroom.test';
  assert.is(await store.lookups.addresses.ownerOf(inbox), null);
  let seen: number | null = null;
  await store.data
    .transaction(async (tx) => {
      await tx.addresses.reserve(inbox, user.id);
      // Another caller's lookup between the transaction's awaits, on the same connection.
      seen = await store.lookups.addresses.ownerOf(inbox);
      throw new Error('rolled back');
    })
    .catch(() => {});
  assert.is(seen, user.id, 'the uncommitted row was visible inside');
  assert.is(store.addresses.ownerOf(inbox), null, 'rolled back');
  assert.is(await store.lookups.addresses.ownerOf(inbox), null, 'and the lookup does not remember it');
});

test('another process: its write is seen once the entry is LOOKUP_TTL_MS old, not before', async () => {
  let now = 0;
  const lookups = cachedLookups({ addresses: store.addresses, domains: store.domains }, new LookupCache(LOOKUP_TTL_MS, 100, () => now), () => false);
  verifiedDomain('elsewhere.example');
  assert.is(await lookups.domains.catchAllInbox('elsewhere.example'), '*@elsewhere.example');
  assert.ok(await lookups.domains.verifiedOwner('elsewhere.example'));
  other.domains.remove('elsewhere.example');
  now = LOOKUP_TTL_MS - 1;
  // The documented window: this connection's triggers do not see the other's write.
  assert.ok(await lookups.domains.verifiedOwner('elsewhere.example'), 'still cached within the window');
  now = LOOKUP_TTL_MS;
  assert.is(await lookups.domains.verifiedOwner('elsewhere.example'), null, 'gone once the entry is ttl old');
  assert.is(await lookups.domains.catchAllInbox('elsewhere.example'), null);
});

test.run();
