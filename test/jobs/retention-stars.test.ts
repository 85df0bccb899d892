// Stars are not a retention weapon (issue 13 item 6). Semantics (docs/retention-privacy.md):
// - in a public inbox a star keeps the message out of the per-inbox count rule
//   without taking anyone else's room: the rule counts unstarred mail only;
// - public mail has a hard age limit: public.maxAgeHours applies starred or not;
// - a public message a user starred counts against that user's own account
//   quota (private.maxMessagesPerAccount), nobody else's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Store } from '../../src/store/index.js';
import { prune } from '../../src/jobs/retention.js';
import { H, NOW, OFF, alive, storeAt, withStore } from '../helpers/retention-store.js';

function put(store: Store, inbox: string, received: number, savedBy?: number): string {
  const id = storeAt(store, inbox, received);
  if (savedBy !== undefined) {
    store.messages.setStarred(id, true);
    store.queries.setSavedBy(id, savedBy);
  }
  return id;
}

test(
  'six stars in a public inbox do not make later mail there be deleted',
  withStore(async (store) => {
    const mallory = await store.users.create({ username: 'mallory', role: 'user' });
    const starred: string[] = [];
    for (let i = 0; i < 6; i++) starred.push(put(store, 'shared@mailroom.test', NOW - (20 - i) * H, mallory.id));
    const later = [put(store, 'shared@mailroom.test', NOW - 3 * H), put(store, 'shared@mailroom.test', NOW - 2 * H), put(store, 'shared@mailroom.test', NOW - H)];
    for (let run = 0; run < 3; run++) await prune(store, { ...OFF, publicMaxPerInbox: 6 }, NOW);
    assert.equal(alive(store, later), later, 'later mail was deleted');
    assert.equal(alive(store, starred), starred);
    // The count rule still applies to the unstarred mail.
    const more: string[] = [];
    for (let i = 0; i < 5; i++) more.push(put(store, 'shared@mailroom.test', NOW - 30 * 60_000 + i));
    const r = await prune(store, { ...OFF, publicMaxPerInbox: 6 }, NOW);
    assert.is(r.publicCount, 2);
    assert.equal(alive(store, later), [later[2]]);
  }),
);

test(
  'starred public mail does not outlive the public age limit',
  withStore(async (store) => {
    const u = await store.users.create({ username: 'keeper', role: 'user' });
    const old = put(store, 'shared@mailroom.test', NOW - 200 * H, u.id);
    const young = put(store, 'shared@mailroom.test', NOW - 10 * H, u.id);
    const r = await prune(store, { ...OFF, publicMaxAgeMs: 96 * H }, NOW);
    assert.is(r.publicAge, 1);
    assert.equal(alive(store, [old, young]), [young]);
    // Owners' starred private mail is still kept by the private age rule.
    store.addresses.reserve('mine@mailroom.test', u.id);
    const mine = put(store, 'mine@mailroom.test', NOW - 500 * H, u.id);
    await prune(store, { ...OFF, publicMaxAgeMs: 96 * H, privateMaxAgeMs: 96 * H }, NOW);
    assert.equal(alive(store, [mine]), [mine]);
  }),
);

test(
  "public mail a user starred counts against that user's quota, nobody else's",
  withStore(async (store) => {
    const alice = await store.users.create({ username: 'alice', role: 'user' });
    const bob = await store.users.create({ username: 'bob', role: 'user' });
    store.addresses.reserve('alice@mailroom.test', alice.id);
    store.addresses.reserve('bob@mailroom.test', bob.id);
    const a = [put(store, 'alice@mailroom.test', NOW - 10 * H), put(store, 'alice@mailroom.test', NOW - 9 * H), put(store, 'alice@mailroom.test', NOW - 8 * H)];
    const b = [put(store, 'bob@mailroom.test', NOW - 10 * H), put(store, 'bob@mailroom.test', NOW - 9 * H), put(store, 'bob@mailroom.test', NOW - 8 * H)];
    const saved = [put(store, 'pub@mailroom.test', NOW - 5 * H, alice.id), put(store, 'pub@mailroom.test', NOW - 4 * H, alice.id)];
    const r = await prune(store, { ...OFF, privateMaxPerAccount: 3 }, NOW);
    assert.is(r.privateQuota, 2);
    assert.equal(alive(store, a), [a[2]], "alice's oldest private mail makes room for what she starred");
    assert.equal(alive(store, b), b, 'bob untouched');
    assert.equal(alive(store, saved), saved);
  }),
);

test.run();
