// The PrincipalReader contract (../principal-reader-contract.ts) on the
// PostgreSQL engine. Users, keys and sessions are written here with the
// rows ApiKeyStore, SessionStore and UserStore write (the PostgreSQL
// engine has no account writes yet); PgPrincipalReader reads them on
// another pool, as another node would.
import { test } from 'uvu';
import { randomBytes } from 'node:crypto';
import { postgresForTests } from '../../helpers/postgres.js';
import { PgPrincipalReader } from '../../../src/store/pg/principal-reader.js';
import { generateKey, hashKey, KEY_PREFIX } from '../../../src/store/api-keys.js';
import { hashPassword } from '../../../src/store/users.js';
import { hashSessionToken } from '../../../src/store/sessions.js';
import { principalReaderContract } from '../principal-reader-contract.js';

const pg = await postgresForTests(test);

if (pg) {
  const sql = pg.pool({ max: 2 });
  test.after(() => pg.drop());
  principalReaderContract(test, {
    principals: new PgPrincipalReader(pg.pool({ max: 2 })),
    createUser: async (username, opts = {}) => {
      const now = Date.now();
      const hash = opts.password ? await hashPassword('correct horse battery staple') : '';
      const [{ id }] = await sql<{ id: number }[]>`
        INSERT INTO users (username, email, role, password_hash, created, updated)
        VALUES (${username}, ${opts.email ?? ''}, ${opts.role ?? 'user'}, ${hash}, ${now}, ${now}) RETURNING id`;
      return id;
    },
    createKey: async (userId, name) => {
      const key = generateKey();
      const [{ id }] = await sql<{ id: number }[]>`
        INSERT INTO api_keys (user_id, name, hint, hash, created)
        VALUES (${userId}, ${name}, ${key.slice(0, KEY_PREFIX.length + 4)}, ${hashKey(key)}, ${Date.now()}) RETURNING id`;
      return { key, id };
    },
    revokeKey: async (id) => {
      await sql`UPDATE api_keys SET revoked = ${Date.now()} WHERE id = ${id} AND revoked IS NULL`;
    },
    keyLastUsed: async (id) => (await sql<{ last_used: number | null }[]>`SELECT last_used FROM api_keys WHERE id = ${id}`)[0]!.last_used,
    createSession: async (userId, ttlMs) => {
      const token = randomBytes(32).toString('base64url');
      const now = Date.now();
      await sql`INSERT INTO sessions (hash, user_id, created, expires, last_seen) VALUES (${hashSessionToken(token)}, ${userId}, ${now}, ${now + ttlMs}, ${now})`;
      return token;
    },
    ageSession: async (token, t) => {
      await sql`UPDATE sessions SET created = ${t.created}, expires = ${t.expires}, last_seen = ${t.lastSeen} WHERE hash = ${hashSessionToken(token)}`;
    },
    sessionRow: async (token) => {
      const [r] = await sql<{ expires: number; last_seen: number }[]>`SELECT expires, last_seen FROM sessions WHERE hash = ${hashSessionToken(token)}`;
      return r ? { expires: r.expires, lastSeen: r.last_seen } : null;
    },
  });
}

test.run();
