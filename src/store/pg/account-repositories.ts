// Users, API keys, sessions and the audit log on the PostgreSQL engine
// (issue 14): the UserRepository, KeyRepository, SessionRepository and
// AuditRepository of repositories.ts with the rules of UserStore,
// ApiKeyStore, SessionStore and AuditStore (their doc comments are the
// contract; test/store/account-repositories-contract.ts checks both engines
// answer alike). Times are epoch ms by this node's clock, as there.
//
// Ids come from the identity columns, which never hand out a number twice
// (a rolled-back insert burns one), so a deleted user's id is never reused,
// as SQLite's AUTOINCREMENT promises (migration 010). API keys and audit
// entries are not reused either, which SQLite does not promise for them
// (INTEGER PRIMARY KEY may hand out a deleted maximum again): nothing relies
// on the difference.
import type { Sql, TransactionSql } from './driver.js';
import { generateKey, hashKey, keyOfRow, KEY_PREFIX, KEY_TOUCH_MS, type ApiKey } from '../api-keys.js';
import { hashSessionToken, SESSION_RENEW_MS, SESSION_TOKEN, type Session } from '../sessions.js';
import { hashPassword, userOfRow, verifyPassword, USERNAME, type Role, type User } from '../users.js';
import { auditOfRow, type AuditInput } from '../audit.js';
import type { AuditRepository, KeyRepository, Repositories, SessionRepository, UserRepository } from '../repositories.js';
import { randomBytes } from 'node:crypto';

type Row = Record<string, any>;
type Q = Sql | TransactionSql;

/** The pool (which can begin a transaction) rather than a transaction's connection (which has savepoints instead). */
const isPool = (q: Q): q is Sql => typeof (q as Partial<Sql>).begin === 'function';

/**
 * SQLite compares user names with COLLATE NOCASE, which folds ASCII letters
 * only; PostgreSQL's lower() folds every script (the Kelvin sign 'K' becomes
 * 'k'). Names are ASCII (USERNAME), so folding the asked-for name in ASCII
 * here and comparing with lower(username) (the users_username index) finds
 * exactly what SQLite finds.
 */
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());

export function pgAccountRepositories(q: Q): Pick<Repositories, 'users' | 'keys' | 'sessions' | 'audit'> {
  return { users: pgUsers(q), keys: pgKeys(q), sessions: pgSessions(q), audit: pgAudit(q) };
}

function pgUsers(q: Q): UserRepository {
  const byId = async (id: number): Promise<User | null> => {
    const [r] = await q<Row[]>`SELECT * FROM users WHERE id = ${id}`;
    return r ? userOfRow(r) : null;
  };
  const byName = async (username: string): Promise<User | null> => {
    const [r] = await q<Row[]>`SELECT * FROM users WHERE lower(username) = ${asciiLower(username)}`;
    return r ? userOfRow(r) : null;
  };
  const check = async (username: string): Promise<void> => {
    if (!USERNAME.test(username)) throw new Error('username: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    if (await byName(username)) throw new Error(`user ${username} already exists`);
  };
  const insert = async (username: string, email: string, role: Role, hash: string): Promise<User> => {
    const now = Date.now();
    try {
      const [r] = await q<Row[]>`
        INSERT INTO users (username, email, role, password_hash, created, updated)
        VALUES (${username}, ${email}, ${role}, ${hash}, ${now}, ${now}) RETURNING *`;
      return userOfRow(r!);
    } catch (err) {
      // Taken between check() and here (another node, or another request while
      // the password was hashed): the same words check() uses.
      const e = err as { code?: string; constraint_name?: string };
      if (e.code === '23505' && e.constraint_name === 'users_username') throw new Error(`user ${username} already exists`);
      throw err;
    }
  };
  const erase = async (tx: Q, userId: number) => {
    const addresses = (await tx`DELETE FROM addresses WHERE owner_id = ${userId}`).count;
    const keys = (await tx`DELETE FROM api_keys WHERE user_id = ${userId}`).count;
    const sessions = (await tx`DELETE FROM sessions WHERE user_id = ${userId}`).count;
    const saved = (await tx`UPDATE messages SET saved_by = NULL WHERE saved_by = ${userId}`).count;
    const user = (await tx`DELETE FROM users WHERE id = ${userId}`).count > 0;
    // `saved` as well: UserStore.eraseAccount's object carries it beyond its declared type, and callers spread it.
    return { addresses, keys, sessions, saved, user };
  };

  return {
    byId,
    byName,
    async list() {
      return (await q<Row[]>`SELECT * FROM users ORDER BY id`).map(userOfRow);
    },
    async adminCount() {
      const [r] = await q<{ n: number }[]>`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`;
      return r!.n;
    },
    async create(input) {
      await check(input.username);
      const hash = input.password ? await hashPassword(input.password) : '';
      return insert(input.username, input.email ?? '', input.role ?? 'user', hash);
    },
    async createWithoutPassword(input) {
      await check(input.username);
      return insert(input.username, input.email ?? '', input.role ?? 'user', '');
    },
    async setPassword(id, password) {
      const hash = await hashPassword(password);
      await q`UPDATE users SET password_hash = ${hash}, updated = ${Date.now()} WHERE id = ${id}`;
    },
    async setRole(id, role) {
      await q`UPDATE users SET role = ${role}, updated = ${Date.now()} WHERE id = ${id}`;
    },
    async checkPassword(username, password) {
      const [r] = await q<Row[]>`SELECT * FROM users WHERE lower(username) = ${asciiLower(username)}`;
      const stored: string = r ? r.password_hash : '';
      // A missing user costs the same scrypt work as a wrong password.
      if (!r || !stored) {
        await hashPassword(password);
        return null;
      }
      if (!(await verifyPassword(password, stored))) return null;
      await q`UPDATE users SET last_login = ${Date.now()} WHERE id = ${r.id}`;
      // The user as read before the login was recorded, as UserStore answers.
      return userOfRow(r);
    },
    async eraseAccount(userId) {
      // One transaction on the pool; inside a caller's transaction, a savepoint
      // (as better-sqlite3 nests a transaction function), so a failure undoes
      // this erase alone.
      type Erased = Awaited<ReturnType<typeof erase>>;
      return isPool(q) ? ((await q.begin((tx) => erase(tx, userId))) as Erased) : ((await q.savepoint((tx) => erase(tx, userId))) as Erased);
    },
  };
}

function pgKeys(q: Q): KeyRepository {
  const byId = async (id: number): Promise<ApiKey | null> => {
    const [r] = await q<Row[]>`SELECT * FROM api_keys WHERE id = ${id}`;
    return r ? keyOfRow(r) : null;
  };
  return {
    async create(userId, name = '') {
      const key = generateKey();
      const [r] = await q<Row[]>`
        INSERT INTO api_keys (user_id, name, hint, hash, created)
        VALUES (${userId}, ${name.slice(0, 100)}, ${key.slice(0, KEY_PREFIX.length + 4)}, ${hashKey(key)}, ${Date.now()}) RETURNING *`;
      return { key, record: keyOfRow(r!) };
    },
    async findByHash(hash) {
      const [r] = await q<Row[]>`SELECT * FROM api_keys WHERE hash = ${hash} AND revoked IS NULL`;
      return r ? keyOfRow(r) : null;
    },
    byId,
    async listForUser(userId) {
      return (await q<Row[]>`SELECT * FROM api_keys WHERE user_id = ${userId} ORDER BY id`).map(keyOfRow);
    },
    async list() {
      return (await q<Row[]>`SELECT * FROM api_keys ORDER BY id`).map(keyOfRow);
    },
    async revoke(id) {
      return (await q`UPDATE api_keys SET revoked = ${Date.now()} WHERE id = ${id} AND revoked IS NULL`).count > 0;
    },
    async touch(key) {
      const now = Date.now();
      if (key.lastUsed === null || now - key.lastUsed > KEY_TOUCH_MS) await q`UPDATE api_keys SET last_used = ${now} WHERE id = ${key.id}`;
    },
  };
}

function pgSessions(q: Q): SessionRepository {
  return {
    async create(userId, ttlMs) {
      const token = randomBytes(32).toString('base64url');
      const now = Date.now();
      await q`INSERT INTO sessions (hash, user_id, created, expires, last_seen) VALUES (${hashSessionToken(token)}, ${userId}, ${now}, ${now + ttlMs}, ${now})`;
      return token;
    },
    async get(token, ttlMs, maxAgeMs = Number.POSITIVE_INFINITY): Promise<Session | null> {
      if (!SESSION_TOKEN.test(token)) return null;
      const h = hashSessionToken(token);
      const [r] = await q<{ user_id: number; created: number; expires: number; last_seen: number }[]>`
        SELECT user_id, created, expires, last_seen FROM sessions WHERE hash = ${h}`;
      const now = Date.now();
      if (!r) return null;
      if (r.expires <= now || now - r.created >= maxAgeMs) {
        await q`DELETE FROM sessions WHERE hash = ${h}`;
        return null;
      }
      if (now - r.last_seen > SESSION_RENEW_MS) {
        await q`UPDATE sessions SET expires = ${Math.min(now + ttlMs, r.created + maxAgeMs)}, last_seen = ${now} WHERE hash = ${h}`;
      }
      return { userId: r.user_id, created: r.created, expires: r.expires };
    },
    async remove(token) {
      await q`DELETE FROM sessions WHERE hash = ${hashSessionToken(token)}`;
    },
    async removeForUser(userId) {
      await q`DELETE FROM sessions WHERE user_id = ${userId}`;
    },
    async prune(now = Date.now()) {
      return (await q`DELETE FROM sessions WHERE expires <= ${now}`).count;
    },
  };
}

function pgAudit(q: Q): AuditRepository {
  return {
    async record(e: AuditInput) {
      await q`
        INSERT INTO audit_log (at, actor_id, actor, action, target, detail, ip)
        VALUES (${e.at ?? Date.now()}, ${e.actorId ?? null}, ${e.actor}, ${e.action}, ${e.target ?? ''}, ${JSON.stringify(e.detail ?? {})}, ${e.ip ?? ''})`;
    },
    async list(opts = {}) {
      const limit = Math.max(1, Math.min(opts.limit ?? 100, 1000));
      // Ids are integers, so below 7.5 is below 8: a bigint parameter takes the latter, SQLite compares either.
      const before = Math.ceil(opts.before ?? Number.MAX_SAFE_INTEGER);
      return (await q<Row[]>`SELECT * FROM audit_log WHERE id < ${before} ORDER BY id DESC LIMIT ${limit}`).map(auditOfRow);
    },
    async about(targets) {
      if (!targets.length) return [];
      // One array parameter, whatever the number of targets (SQLite's statements need chunks).
      return (await q<Row[]>`SELECT * FROM audit_log WHERE target = ANY(${targets}::text[]) ORDER BY id`).map(auditOfRow);
    },
    async byActor(userId) {
      return (await q<Row[]>`SELECT * FROM audit_log WHERE actor_id = ${userId} ORDER BY id`).map(auditOfRow);
    },
  };
}
