// PrincipalReader on the PostgreSQL engine (issue 14): API keys, sessions
// and users read from the shared database, so a key or a login made on one
// node is honoured on every node. Same rules as ApiKeyStore, SessionStore
// and UserStore (times are epoch ms by this node's clock, as there); rows
// mapped as the account repositories map them (account-repositories.ts).
import type { Sql } from './driver.js';
import { keyOfRow } from '../api-keys.js';
import { userOfRow } from '../users.js';
import { KEY_TOUCH_MS, type ApiKey } from '../api-keys.js';
import { hashSessionToken, SESSION_RENEW_MS, SESSION_TOKEN, type Session } from '../sessions.js';
import type { User } from '../users.js';
import type { PrincipalReader } from '../principal-reader.js';

type Row = Record<string, any>;

export class PgPrincipalReader implements PrincipalReader {
  constructor(private readonly sql: Sql) {}

  async keyByHash(hash: string): Promise<ApiKey | null> {
    const [r] = await this.sql<Row[]>`SELECT * FROM api_keys WHERE hash = ${hash} AND revoked IS NULL`;
    return r ? keyOfRow(r) : null;
  }

  async touchKey(key: ApiKey): Promise<void> {
    const now = Date.now();
    if (key.lastUsed === null || now - key.lastUsed > KEY_TOUCH_MS) await this.sql`UPDATE api_keys SET last_used = ${now} WHERE id = ${key.id}`;
  }

  async session(token: string, ttlMs: number, maxAgeMs = Number.POSITIVE_INFINITY): Promise<Session | null> {
    if (!SESSION_TOKEN.test(token)) return null;
    const h = hashSessionToken(token);
    const [r] = await this.sql<{ user_id: number; created: number; expires: number; last_seen: number }[]>`
      SELECT user_id, created, expires, last_seen FROM sessions WHERE hash = ${h}`;
    const now = Date.now();
    if (!r) return null;
    if (r.expires <= now || now - r.created >= maxAgeMs) {
      await this.sql`DELETE FROM sessions WHERE hash = ${h}`;
      return null;
    }
    if (now - r.last_seen > SESSION_RENEW_MS) {
      await this.sql`UPDATE sessions SET expires = ${Math.min(now + ttlMs, r.created + maxAgeMs)}, last_seen = ${now} WHERE hash = ${h}`;
    }
    return { userId: r.user_id, created: r.created, expires: r.expires };
  }

  async userById(id: number): Promise<User | null> {
    const [r] = await this.sql<Row[]>`SELECT * FROM users WHERE id = ${id}`;
    return r ? userOfRow(r) : null;
  }
}
