// Who is calling the API: reads the body once (so the key may sit in it),
// finds the key (header, query, then body field) and resolves the principal.
// Cookies are not looked at: the API is for keys, so it has no CSRF surface.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, WebDeps } from '../deps.js';
import { principalForKey, setPrincipal } from './principal.js';
import { limiterFor } from './rate-limit.js';
import { clientIp } from './client-ip.js';
import { apiError } from '../api/errors.js';
import { bodies, parseBody } from '../api/params.js';

export function apiPrincipal(deps: Pick<WebDeps, 'store' | 'config'>): MiddlewareHandler<AppEnv> {
  const { store, config } = deps;
  const limiter = limiterFor(store);
  return async (c, next) => {
    let body: Record<string, unknown> = {};
    if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(c.req.method)) {
      const parsed = parseBody(await c.req.text(), c.req.header('content-type') ?? '');
      if (parsed === null) return apiError(c, 400, 'The request body must be JSON');
      body = parsed;
      bodies.set(c.req.raw, body);
    }
    const bodyKey = typeof body._mailsacKey === 'string' ? body._mailsacKey : undefined;
    const key = c.req.header('mailsac-key') || c.req.query('_mailsacKey') || bodyKey;
    const client = clientIp(c, config.http.trustedProxies) || 'unknown';
    const p = await principalForKey(store, config, key);
    if (p.kind === 'anonymous' && p.badKey) {
      // Only failures are throttled: a valid key from the same address (a
      // shared NAT) keeps working while someone else guesses.
      if (await limiter.blocked(client)) {
        c.header('Retry-After', String(await limiter.retryAfterSeconds(client)));
        return apiError(c, 429, 'Too many failed attempts; try again in a minute');
      }
      await limiter.fail(client);
    }
    setPrincipal(c, p);
    await next();
  };
}
