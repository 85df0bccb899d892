// Who is asking: an API key (Mailsac-Key header, _mailsacKey query or JSON
// body field), the operator's admin key (config auth.adminKey), or a web
// session cookie. Resolved once per request and cached on the request.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Config } from '../../config.js';
import type { Store } from '../../store/index.js';
import type { User } from '../../store/users.js';
import { hashKey } from '../../store/api-keys.js';
import type { WebDeps } from '../deps.js';

export type Principal =
  | { kind: 'anonymous'; /** A key was sent but matched nothing (or was revoked). */ badKey: boolean }
  | { kind: 'user'; user: User; via: 'key' | 'admin-key' | 'session'; keyId?: number; keyName?: string };

export const ANONYMOUS: Principal = { kind: 'anonymous', badKey: false };

/** The user the operator's admin key acts as. */
export const ADMIN_USERNAME = 'admin';

export function isAdmin(p: Principal): boolean {
  return p.kind === 'user' && p.user.role === 'admin';
}

export function userOf(p: Principal): User | null {
  return p.kind === 'user' ? p.user : null;
}

/**
 * Makes sure the admin key has a user to act as: creates `admin` (role admin,
 * no password) when auth.adminKey is set and it does not exist, and gives it
 * the admin role if it lost it. main.ts calls this at startup; resolving the
 * admin key also calls it, so a test that skips it still works.
 * Returns the admin user, or null when no admin key is configured.
 */
export function ensureAdmin(store: Store, config: Config): User | null {
  if (!config.auth.adminKey) return null;
  const existing = store.users.byName(ADMIN_USERNAME);
  if (!existing) return store.users.createWithoutPassword({ username: ADMIN_USERNAME, role: 'admin' });
  if (existing.role !== 'admin') {
    store.users.setRole(existing.id, 'admin');
    return store.users.byId(existing.id);
  }
  return existing;
}

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Compares two secrets in time independent of where they differ (bad-input 61): hashes first, so lengths match. */
export function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(sha(a), sha(b));
}

/** Resolves a presented API key. Empty or absent: anonymous; present but unknown or revoked: anonymous with badKey. */
export function principalForKey(store: Store, config: Config, key: string | undefined): Principal {
  if (key === undefined || key === '') return ANONYMOUS;
  if (key.length > 200) return { kind: 'anonymous', badKey: true };
  if (config.auth.adminKey && secretEquals(key, config.auth.adminKey)) {
    const admin = ensureAdmin(store, config);
    if (admin) return { kind: 'user', user: admin, via: 'admin-key' };
  }
  const hash = hashKey(key);
  const record = store.keys.findByHash(hash);
  // The index found the row by hash; comparing again in constant time costs
  // nothing and keeps the check honest should the lookup ever become a scan.
  if (!record || !timingSafeEqual(Buffer.from(hash, 'hex'), Buffer.from(hashKey(key), 'hex'))) return { kind: 'anonymous', badKey: true };
  const user = store.users.byId(record.userId);
  if (!user) return { kind: 'anonymous', badKey: true };
  store.keys.touch(record);
  return { kind: 'user', user, via: 'key', keyId: record.id, keyName: record.name };
}

// ------------------------------------------------------------------ sessions

export function sessionCookieName(c: Context, config: Config): string {
  const secure = new URL(c.req.url).protocol === 'https:' || config.http.publicUrl.startsWith('https:');
  // __Host- pins the cookie to this origin, but browsers only take it with Secure.
  return secure ? '__Host-mr_session' : 'mr_session';
}

export function sessionTtlMs(config: Config): number {
  return config.auth.sessionHours * 3600_000;
}

/** Longest a session lives from sign-in however often it is used: 30 days, or the idle TTL if that is longer. */
export function sessionMaxAgeMs(config: Config): number {
  return Math.max(30 * 24 * 3600_000, sessionTtlMs(config));
}

export function principalForSession(store: Store, config: Config, token: string | undefined): Principal {
  if (!token) return ANONYMOUS;
  const s = store.sessions.get(token, sessionTtlMs(config), sessionMaxAgeMs(config));
  if (!s) return ANONYMOUS;
  const user = store.users.byId(s.userId);
  return user ? { kind: 'user', user, via: 'session' } : ANONYMOUS;
}

// ------------------------------------------------------------------ per request

const cache = new WeakMap<Request, Principal>();

/** Records the principal for this request (the API middleware does this after reading the body). */
export function setPrincipal(c: Context, p: Principal): void {
  cache.set(c.req.raw, p);
}

/**
 * The principal of a request, for pages and the API alike. Pages: the session
 * cookie, or a Mailsac-Key header. The API sets it from its key sources before
 * any handler runs (cookies are not accepted there: no CSRF surface).
 */
export function principalFrom(c: Context, deps: Pick<WebDeps, 'store' | 'config'>): Principal {
  const cached = cache.get(c.req.raw);
  if (cached) return cached;
  const header = c.req.header('mailsac-key');
  let p: Principal = header ? principalForKey(deps.store, deps.config, header) : ANONYMOUS;
  if (p.kind === 'anonymous' && !p.badKey) p = principalForSession(deps.store, deps.config, getCookie(c, sessionCookieName(c, deps.config)));
  cache.set(c.req.raw, p);
  return p;
}
