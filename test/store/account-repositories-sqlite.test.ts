// The account repositories' contract (account-repositories-contract.ts) on
// the SQLite engine: store.data, the synchronous repositories behind promises.
import { test } from 'uvu';
import { openStore } from '../../src/store/index.js';
import { hashSessionToken } from '../../src/store/sessions.js';
import { tempDir } from '../helpers/temp.js';
import { withDatabaseFile } from '../helpers/database-file.js';
import { accountRepositoriesContract } from './account-repositories-contract.js';

const store = openStore(tempDir());
test.after(() => store.close());

accountRepositoriesContract(test, {
  repos: store.data,
  inTransaction: (fn) => store.data.transaction(fn),
  passwordHash: async (userId) => withDatabaseFile(store, (db) => db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(userId) as string),
  addAddress: async (address, ownerId) => {
    store.addresses.reserve(address, ownerId);
  },
  addressOwner: async (address) => store.addresses.ownerOf(address),
  ageSession: async (token, t) => {
    withDatabaseFile(store, (db) => db.prepare('UPDATE sessions SET created = ?, expires = ?, last_seen = ? WHERE hash = ?').run(t.created, t.expires, t.lastSeen, hashSessionToken(token)), { write: true });
  },
  sessionRow: async (token) =>
    withDatabaseFile(store, (db) => {
      const r = db.prepare('SELECT user_id, expires, last_seen FROM sessions WHERE hash = ?').get(hashSessionToken(token)) as { user_id: number; expires: number; last_seen: number } | undefined;
      return r ? { userId: r.user_id, expires: r.expires, lastSeen: r.last_seen } : null;
    }),
});

test.run();
