// Web login sessions: the cookie holds a random token, the table its sha256,
// so a copied database cannot be replayed as cookies.
import { createHash, randomBytes } from 'node:crypto';
import type { DB } from './db.js';

export interface Session {
  userId: number;
  created: number;
  expires: number;
}

/** What the sessions table holds for a cookie value (the PostgreSQL engine hashes alike). */
export const hashSessionToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const hash = hashSessionToken;

/** The cookie values get() looks up at all; anything else is refused before the database. */
export const SESSION_TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

/** Sliding expiry is renewed at most this often, so reads do not each cost a write. */
export const SESSION_RENEW_MS = 60_000;

export class SessionStore {
  private readonly stmts;

  constructor(db: DB) {
    this.stmts = {
      insert: db.prepare(`INSERT INTO sessions (hash, user_id, created, expires, last_seen) VALUES (?, ?, ?, ?, ?)`),
      get: db.prepare(`SELECT user_id, created, expires, last_seen FROM sessions WHERE hash = ?`),
      extend: db.prepare(`UPDATE sessions SET expires = ?, last_seen = ? WHERE hash = ?`),
      remove: db.prepare(`DELETE FROM sessions WHERE hash = ?`),
      removeUser: db.prepare(`DELETE FROM sessions WHERE user_id = ?`),
      prune: db.prepare(`DELETE FROM sessions WHERE expires <= ?`),
    };
  }

  create(userId: number, ttlMs: number): string {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    this.stmts.insert.run(hash(token), userId, now, now + ttlMs, now);
    return token;
  }

  /**
   * The live session for a cookie value; sliding expiry, renewed at most once a
   * minute. `maxAgeMs` caps its whole life from sign-in, so a cookie that is
   * used every day (or a stolen one kept warm) still ends.
   */
  get(token: string, ttlMs: number, maxAgeMs = Number.POSITIVE_INFINITY): Session | null {
    if (!SESSION_TOKEN.test(token)) return null;
    const h = hash(token);
    const r = this.stmts.get.get(h) as Record<string, number> | undefined;
    const now = Date.now();
    if (!r) return null;
    if (r.expires <= now || now - r.created >= maxAgeMs) {
      this.stmts.remove.run(h);
      return null;
    }
    if (now - r.last_seen > SESSION_RENEW_MS) this.stmts.extend.run(Math.min(now + ttlMs, r.created + maxAgeMs), now, h);
    return { userId: r.user_id, created: r.created, expires: r.expires };
  }

  remove(token: string): void {
    this.stmts.remove.run(hash(token));
  }

  removeForUser(userId: number): void {
    this.stmts.removeUser.run(userId);
  }

  /** Deletes every expired session; returns how many. */
  prune(now = Date.now()): number {
    return this.stmts.prune.run(now).changes;
  }
}
