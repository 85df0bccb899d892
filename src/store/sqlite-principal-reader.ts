// PrincipalReader on the SQLite engine: the synchronous repositories behind
// promises, no SQL of its own.
import type { Store } from './index.js';
import type { PrincipalReader } from './principal-reader.js';

export function sqlitePrincipalReader(store: Pick<Store, 'keys' | 'sessions' | 'users'>): PrincipalReader {
  return {
    keyByHash: async (hash) => store.keys.findByHash(hash),
    touchKey: async (key) => store.keys.touch(key),
    session: async (token, ttlMs, maxAgeMs) => store.sessions.get(token, ttlMs, maxAgeMs),
    userById: async (id) => store.users.byId(id),
  };
}
