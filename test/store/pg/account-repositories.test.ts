// The account repositories' contract (../account-repositories-contract.ts) on
// the PostgreSQL engine: pgAccountRepositories on a pool, and on a
// transaction's connection for inTransaction. Rows are looked at on another
// pool, as another node would see them.
import { test } from 'uvu';
import { postgresForTests } from '../../helpers/postgres.js';
import { pgAccountRepositories } from '../../../src/store/pg/account-repositories.js';
import { hashSessionToken } from '../../../src/store/sessions.js';
import { accountRepositoriesContract } from '../account-repositories-contract.js';

const pg = await postgresForTests(test);

if (pg) {
  const pool = pg.pool({ max: 3 });
  const sql = pg.pool({ max: 1 });
  test.after(() => pg.drop());
  accountRepositoriesContract(test, {
    repos: pgAccountRepositories(pool),
    inTransaction: (fn) => pool.begin((tx) => fn(pgAccountRepositories(tx))) as Promise<never>,
    passwordHash: async (userId) => (await sql<{ password_hash: string }[]>`SELECT password_hash FROM users WHERE id = ${userId}`)[0]!.password_hash,
    addAddress: async (address, ownerId) => {
      const now = Date.now();
      await sql`INSERT INTO addresses (address, owner_id, created, updated) VALUES (${address}, ${ownerId}, ${now}, ${now})`;
    },
    addressOwner: async (address) => (await sql<{ owner_id: number }[]>`SELECT owner_id FROM addresses WHERE address = ${address}`)[0]?.owner_id ?? null,
    ageSession: async (token, t) => {
      await sql`UPDATE sessions SET created = ${t.created}, expires = ${t.expires}, last_seen = ${t.lastSeen} WHERE hash = ${hashSessionToken(token)}`;
    },
    sessionRow: async (token) => {
      const [r] = await sql<{ user_id: number; expires: number; last_seen: number }[]>`SELECT user_id, expires, last_seen FROM sessions WHERE hash = ${hashSessionToken(token)}`;
      return r ? { userId: r.user_id, expires: r.expires, lastSeen: r.last_seen } : null;
    },
  });
}

test.run();
