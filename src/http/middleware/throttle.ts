// Pages accept a Mailsac-Key header as well as the session cookie
// (principal.ts). A wrong key there is throttled per client address exactly
// like one sent to the API (bad-input 61), so the pages are no side door for
// guessing keys. The API has its own copy of this check, after it has read
// the body field; this one covers every other path.
import type { MiddlewareHandler } from 'hono';
import { clientIp } from './client-ip.js';
import type { AppEnv, WebDeps } from '../deps.js';
import { principalFrom } from './principal.js';
import { limiterFor } from './rate-limit.js';

export function pageKeyThrottle(deps: Pick<WebDeps, 'store' | 'config'>): MiddlewareHandler<AppEnv> {
  const limiter = limiterFor(deps.store);
  return async (c, next) => {
    if (c.req.path.startsWith('/api/') || c.req.path === '/api' || !c.req.header('mailsac-key')) return next();
    const p = principalFrom(c);
    if (p.kind === 'anonymous' && p.badKey) {
      // Same key as the API's counter, so both paths share one budget per address.
      const client = clientIp(c, deps.config.http.trustedProxies) || 'unknown';
      if (await limiter.blocked(client)) {
        c.header('Retry-After', String(await limiter.retryAfterSeconds(client)));
        return c.text('Too many failed attempts; try again in a minute', 429);
      }
      await limiter.fail(client);
    }
    return next();
  };
}
