// Retention and your own domains (issue 12): mail of an account's verified
// private domain is private mail, so the public age and per-inbox limits do
// not remove it; an unverified or public account domain's mail is public.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { prune } from '../../src/jobs/retention.js';
import { H, NOW, OFF, storeAt, withStore } from '../helpers/retention-store.js';

test(
  'a verified private domain keeps its mail; unverified and public ones follow the public rules',
  withStore(async (store) => {
    const owner = await store.users.create({ username: 'acme' });
    for (const d of ['private.example', 'public.example', 'unverified.example']) store.domains.add(d, owner.id, 't');
    store.domains.markVerified('private.example');
    store.domains.markVerified('public.example');
    store.domains.setPrivate('public.example', false);
    const ids: Record<string, string[]> = {};
    for (const d of ['private.example', 'public.example', 'unverified.example']) {
      ids[d] = [storeAt(store, `box@${d}`, NOW - 200 * H), ...[1, 2, 3, 4].map((i) => storeAt(store, `box@${d}`, NOW - i * H))];
    }
    await prune(store, { ...OFF, publicMaxAgeMs: 96 * H, publicMaxPerInbox: 2 }, NOW);
    const alive = (d: string) => ids[d]!.filter((id) => store.messages.get(id) !== null).length;
    assert.is(alive('private.example'), 5, 'private: nothing removed');
    assert.is(alive('public.example'), 2, 'public: old one gone, then at most 2 per inbox');
    assert.is(alive('unverified.example'), 2);
  }),
);

test.run();
