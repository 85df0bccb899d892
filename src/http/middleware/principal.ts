// Who is asking: an API key (Mailsac-Key header, _mailsacKey query or JSON
// body field), the operator's admin key (config auth.adminKey), or a web
// session cookie. Resolved once per request, asynchronously through the
// store's PrincipalReader (so either engine can answer, issue 14), and cached
// on the request: pagePrincipal (pages) and apiPrincipal (the API) resolve it
// before any handler runs, and handlers read it synchronously (principalFrom).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Config } from '../../config.js';
import type { EngineStore } from '../../store/engine-store.js';
import type { User } from '../../store/users.js';
import { hashKey } from '../../store/api-keys.js';
import type { WebDeps } from '../deps.js';

export type Principal =
  | { kind: 'anonymous'; /** A key was sent but matched nothing (or was revoked). */ badKey: boolean }
  | { kind: 'user'; user: User; via: 'key' | 'admin-key' | 'session'; keyId?: number; keyName?: string };

export const ANONYMOUS: Principal = { kind: 'anonymous', badKey: false };

import { ADMIN_USERNAME, sessionMaxAgeMs, sessionTtlMs } from '../../policy/accounts.js';
import { ensureAdmin } from '../../services/accounts.js';
export { ADMIN_USERNAME, ensureAdmin, sessionMaxAgeMs, sessionTtlMs };

export function isAdmin(p: Principal): boolean {
  return p.kind === 'user' && p.user.role === 'admin';
}

export function userOf(p: Principal): User | null {
  return p.kind === 'user' ? p.user : null;
}

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Compares two secrets in time independent of where they differ (bad-input 61): hashes first, so lengths match. */
export function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(sha(a), sha(b));
}

/** Resolves a presented API key. Empty or absent: anonymous; present but unknown or revoked: anonymous with badKey. */
export async function principalForKey(store: EngineStore, config: Config, key: string | undefined): Promise<Principal> {
  if (key === undefined || key === '') return ANONYMOUS;
  if (key.length > 200) return { kind: 'anonymous', badKey: true };
  if (config.auth.adminKey && secretEquals(key, config.auth.adminKey)) {
    const admin = await ensureAdmin(store, config);
    if (admin) return { kind: 'user', user: admin, via: 'admin-key' };
  }
  const hash = hashKey(key);
  const record = await store.principals.keyByHash(hash);
  // The index found the row by hash; comparing again in constant time costs
  // nothing and keeps the check honest should the lookup ever become a scan.
  if (!record || !timingSafeEqual(Buffer.from(hash, 'hex'), Buffer.from(hashKey(key), 'hex'))) return { kind: 'anonymous', badKey: true };
  const user = await store.principals.userById(record.userId);
  if (!user) return { kind: 'anonymous', badKey: true };
  await store.principals.touchKey(record);
  return { kind: 'user', user, via: 'key', keyId: record.id, keyName: record.name };
}

// ------------------------------------------------------------------ sessions

export function sessionCookieName(c: Context, config: Config): string {
  const secure = new URL(c.req.url).protocol === 'https:' || config.http.publicUrl.startsWith('https:');
  // __Host- pins the cookie to this origin, but browsers only take it with Secure.
  return secure ? '__Host-mr_session' : 'mr_session';
}

export async function principalForSession(store: EngineStore, config: Config, token: string | undefined): Promise<Principal> {
  if (!token) return ANONYMOUS;
  const s = await store.principals.session(token, sessionTtlMs(config), sessionMaxAgeMs(config));
  if (!s) return ANONYMOUS;
  const user = await store.principals.userById(s.userId);
  return user ? { kind: 'user', user, via: 'session' } : ANONYMOUS;
}

// ------------------------------------------------------------------ per request

// On the request's context, not keyed by its Request: a route's bodyLimit
// replaces c.req.raw with a wrapped Request after the principal was resolved.
const cached = (c: Context): Principal | undefined => c.get('principal') as Principal | undefined;

/** Records the principal for this request (the API middleware does this after reading the body). */
export function setPrincipal(c: Context, p: Principal): void {
  c.set('principal', p);
}

/**
 * Resolves the principal of a request for the pages and caches it: a
 * Mailsac-Key header, else the session cookie. The API resolves its own in
 * api-principal.ts from its key sources (cookies are not accepted there: no
 * CSRF surface).
 */
export async function resolvePrincipal(c: Context, deps: Pick<WebDeps, 'store' | 'config'>): Promise<Principal> {
  const known = cached(c);
  if (known) return known;
  const header = c.req.header('mailsac-key');
  let p: Principal = header ? await principalForKey(deps.store, deps.config, header) : ANONYMOUS;
  if (p.kind === 'anonymous' && !p.badKey) p = await principalForSession(deps.store, deps.config, getCookie(c, sessionCookieName(c, deps.config)));
  c.set('principal', p);
  return p;
}

/** Resolves the principal of every page request before its handlers run (app.ts); the API has apiPrincipal. */
export function pagePrincipal(deps: Pick<WebDeps, 'store' | 'config'>): MiddlewareHandler {
  return async (c, next) => {
    if (!(c.req.path.startsWith('/api/') || c.req.path === '/api')) await resolvePrincipal(c, deps);
    await next();
  };
}

/**
 * The principal of a request, for pages and the API alike, as pagePrincipal
 * or apiPrincipal resolved it. A route reached without either is a
 * programming error, not an anonymous visitor.
 */
export function principalFrom(c: Context): Principal {
  const p = cached(c);
  if (!p) throw new Error(`no principal resolved for ${c.req.path}`);
  return p;
}
