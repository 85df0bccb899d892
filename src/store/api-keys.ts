// API keys: 32 random bytes, shown once, stored as sha256. Keys carry 256 bits
// of entropy, so a fast hash cannot be brute-forced and lookups stay one index
// probe; the comparison that matters (hash equality) is done by the index on
// a value the caller cannot steer byte by byte (see web/auth/keys.ts).
import { createHash, randomBytes } from 'node:crypto';
import type { DB } from './db.js';

export const KEY_PREFIX = 'mr_';

/** A key's last use is recorded at most this often (touch). */
export const KEY_TOUCH_MS = 60_000;

export interface ApiKey {
  id: number;
  userId: number;
  name: string;
  /** The first characters of the key, to tell keys apart in lists. */
  hint: string;
  created: number;
  lastUsed: number | null;
  revoked: number | null;
}

type Row = Record<string, any>;

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export class ApiKeyStore {
  private readonly stmts;

  constructor(db: DB) {
    this.stmts = {
      insert: db.prepare(`INSERT INTO api_keys (user_id, name, hint, hash, created) VALUES (?, ?, ?, ?, ?)`),
      byHash: db.prepare(`SELECT * FROM api_keys WHERE hash = ? AND revoked IS NULL`),
      byId: db.prepare(`SELECT * FROM api_keys WHERE id = ?`),
      ofUser: db.prepare(`SELECT * FROM api_keys WHERE user_id = ? ORDER BY id`),
      all: db.prepare(`SELECT * FROM api_keys ORDER BY id`),
      revoke: db.prepare(`UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL`),
      touch: db.prepare(`UPDATE api_keys SET last_used = ? WHERE id = ?`),
    };
  }

  /** Creates a key and returns it in clear text: the only time it exists outside the caller. */
  create(userId: number, name = ''): { key: string; record: ApiKey } {
    const key = generateKey();
    const info = this.stmts.insert.run(userId, name.slice(0, 100), key.slice(0, KEY_PREFIX.length + 4), hashKey(key), Date.now());
    return { key, record: this.byId(Number(info.lastInsertRowid))! };
  }

  /** Finds the valid key whose hash matches. */
  findByHash(hash: string): ApiKey | null {
    const r = this.stmts.byHash.get(hash) as Row | undefined;
    return r ? keyOfRow(r) : null;
  }

  byId(id: number): ApiKey | null {
    const r = this.stmts.byId.get(id) as Row | undefined;
    return r ? keyOfRow(r) : null;
  }

  listForUser(userId: number): ApiKey[] {
    return (this.stmts.ofUser.all(userId) as Row[]).map(keyOfRow);
  }

  list(): ApiKey[] {
    return (this.stmts.all.all() as Row[]).map(keyOfRow);
  }

  revoke(id: number): boolean {
    return this.stmts.revoke.run(Date.now(), id).changes > 0;
  }

  /** Records use at most once a minute per key, so reads do not each cost a write. */
  touch(key: ApiKey): void {
    const now = Date.now();
    if (key.lastUsed === null || now - key.lastUsed > KEY_TOUCH_MS) this.stmts.touch.run(now, key.id);
  }
}

/** A row as the repositories return it; the PostgreSQL engine maps its rows with it too. */
export function keyOfRow(r: Row): ApiKey {
  return { id: r.id, userId: r.user_id, name: r.name, hint: r.hint, created: r.created, lastUsed: r.last_used ?? null, revoked: r.revoked ?? null };
}
