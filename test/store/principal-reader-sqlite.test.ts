// The PrincipalReader contract (principal-reader-contract.ts) on the SQLite
// engine: users, keys and sessions made by the repositories the web and CLI use.
import { test } from 'uvu';
import { openStore } from '../../src/store/index.js';
import { hashSessionToken } from '../../src/store/sessions.js';
import { tempDir } from '../helpers/temp.js';
import { withDatabaseFile } from '../helpers/database-file.js';
import { principalReaderContract } from './principal-reader-contract.js';

const store = openStore(tempDir());
test.after(() => store.close());

principalReaderContract(test, {
  // The reader the Store composes (what the middleware uses in production).
  principals: store.principals,
  createUser: async (username, opts = {}) =>
    opts.password
      ? (await store.users.create({ username, email: opts.email, role: opts.role, password: 'correct horse battery staple' })).id
      : store.users.createWithoutPassword({ username, email: opts.email, role: opts.role }).id,
  createKey: async (userId, name) => {
    const { key, record } = store.keys.create(userId, name);
    return { key, id: record.id };
  },
  revokeKey: async (id) => {
    store.keys.revoke(id);
  },
  keyLastUsed: async (id) => store.keys.byId(id)!.lastUsed,
  createSession: async (userId, ttlMs) => store.sessions.create(userId, ttlMs),
  ageSession: async (token, t) => {
    withDatabaseFile(store, (db) => db.prepare('UPDATE sessions SET created = ?, expires = ?, last_seen = ? WHERE hash = ?').run(t.created, t.expires, t.lastSeen, hashSessionToken(token)), { write: true });
  },
  sessionRow: async (token) =>
    withDatabaseFile(store, (db) => {
      const r = db.prepare('SELECT expires, last_seen FROM sessions WHERE hash = ?').get(hashSessionToken(token)) as { expires: number; last_seen: number } | undefined;
      return r ? { expires: r.expires, lastSeen: r.last_seen } : null;
    }),
});

test.run();
