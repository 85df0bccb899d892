// Users: a name, a role, and optionally a password for the web login. The
// password is hashed with scrypt (memory-hard, in node:crypto) and a random
// salt; the parameters travel with the hash so they can be raised later.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { DB } from './db.js';

export type Role = 'admin' | 'user';

export interface User {
  id: number;
  username: string;
  email: string;
  role: Role;
  hasPassword: boolean;
  created: number;
  updated: number;
  lastLogin: number | null;
}

type Row = Record<string, any>;

// OWASP's scrypt floor is N=2^17, r=8, p=1 (128 MiB); 2^15 keeps a login
// under 100 ms on a small box while still costing an attacker 32 MiB a guess.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 32 };

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, { ...opts, maxmem: 256 * opts.N! * opts.r! }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password.normalize('NFKC'), salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4]!, 'base64');
  const want = Buffer.from(parts[5]!, 'base64');
  if (!N || !r || !p || want.length < 16) return false;
  const got = await scryptAsync(password.normalize('NFKC'), salt, want.length, { N, r, p });
  return timingSafeEqual(got, want);
}

/** Names are identifiers (Mailsac's Account._id): short, printable, no spaces. */
export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class UserStore {
  private readonly stmts;

  constructor(private readonly db: DB) {
    this.stmts = {
      insert: db.prepare(`INSERT INTO users (username, email, role, password_hash, created, updated) VALUES (?, ?, ?, ?, ?, ?)`),
      byId: db.prepare(`SELECT * FROM users WHERE id = ?`),
      byName: db.prepare(`SELECT * FROM users WHERE username = ?`),
      all: db.prepare(`SELECT * FROM users ORDER BY id`),
      setPassword: db.prepare(`UPDATE users SET password_hash = ?, updated = ? WHERE id = ?`),
      setRole: db.prepare(`UPDATE users SET role = ?, updated = ? WHERE id = ?`),
      setLogin: db.prepare(`UPDATE users SET last_login = ? WHERE id = ?`),
      passwordHash: db.prepare(`SELECT password_hash FROM users WHERE id = ?`).pluck(),
      remove: db.prepare(`DELETE FROM users WHERE id = ?`),
      admins: db.prepare(`SELECT count(*) FROM users WHERE role = 'admin'`).pluck(),
    };
  }

  async create(input: { username: string; email?: string; role?: Role; password?: string }): Promise<User> {
    this.check(input.username);
    const hash = input.password ? await hashPassword(input.password) : '';
    return this.insert(input.username, input.email ?? '', input.role ?? 'user', hash);
  }

  /** A user who signs in with API keys only (no password): synchronous, for startup. */
  createWithoutPassword(input: { username: string; email?: string; role?: Role }): User {
    this.check(input.username);
    return this.insert(input.username, input.email ?? '', input.role ?? 'user', '');
  }

  private check(username: string): void {
    if (!USERNAME.test(username)) throw new Error('username: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    if (this.byName(username)) throw new Error(`user ${username} already exists`);
  }

  private insert(username: string, email: string, role: Role, hash: string): User {
    const now = Date.now();
    const info = this.stmts.insert.run(username, email, role, hash, now, now);
    return this.byId(Number(info.lastInsertRowid))!;
  }

  byId(id: number): User | null {
    const r = this.stmts.byId.get(id) as Row | undefined;
    return r ? userOfRow(r) : null;
  }

  byName(username: string): User | null {
    const r = this.stmts.byName.get(username) as Row | undefined;
    return r ? userOfRow(r) : null;
  }

  list(): User[] {
    return (this.stmts.all.all() as Row[]).map(userOfRow);
  }

  adminCount(): number {
    return this.stmts.admins.get() as number;
  }

  async setPassword(id: number, password: string): Promise<void> {
    this.stmts.setPassword.run(await hashPassword(password), Date.now(), id);
  }

  setRole(id: number, role: Role): void {
    this.stmts.setRole.run(role, Date.now(), id);
  }

  /** The user when the password matches; a missing user costs the same scrypt work as a wrong password. */
  async checkPassword(username: string, password: string): Promise<User | null> {
    const user = this.byName(username);
    const stored = user ? (this.stmts.passwordHash.get(user.id) as string) : '';
    if (!user || !stored) {
      await hashPassword(password);
      return null;
    }
    if (!(await verifyPassword(password, stored))) return null;
    this.stmts.setLogin.run(Date.now(), user.id);
    return user;
  }

  /**
   * Removes an account and what hangs on it (its addresses, keys, sessions;
   * its name on starred messages) in one IMMEDIATE transaction. Its messages
   * are deleted first, in batches (services/data-rights.ts).
   */
  eraseAccount(userId: number): { addresses: number; keys: number; sessions: number; user: boolean } {
    const db = this.db;
    return db
      .transaction(() => ({
        addresses: db.prepare(`DELETE FROM addresses WHERE owner_id = ?`).run(userId).changes,
        keys: db.prepare(`DELETE FROM api_keys WHERE user_id = ?`).run(userId).changes,
        sessions: db.prepare(`DELETE FROM sessions WHERE user_id = ?`).run(userId).changes,
        saved: db.prepare(`UPDATE messages SET saved_by = NULL WHERE saved_by = ?`).run(userId).changes,
        user: db.prepare(`DELETE FROM users WHERE id = ?`).run(userId).changes > 0,
      }))
      .immediate();
  }

  remove(id: number): boolean {
    return this.stmts.remove.run(id).changes > 0;
  }
}

/** A row as the repositories return it; the PostgreSQL engine maps its rows with it too. */
export function userOfRow(r: Row): User {
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    role: r.role,
    hasPassword: r.password_hash !== '',
    created: r.created,
    updated: r.updated,
    lastLogin: r.last_login ?? null,
  };
}
