// Headers every response carries. Pages get a CSP that allows no inline script
// except by nonce; the message-HTML route sets its own, stricter sandbox CSP.
import type { MiddlewareHandler } from 'hono';
import { randomBytes } from 'node:crypto';

/** formActions: origins a form on the page may end up at (a POST redirected to Stripe Checkout, issue 15). */
export function pageCsp(nonce: string, formActions: string[] = []): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    // The message iframe is served from our own origin, sandboxed without allow-same-origin.
    "frame-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    ["form-action 'self'", ...formActions].join(' '),
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(): MiddlewareHandler<{ Variables: { nonce: string } }> {
  return async (c, next) => {
    const nonce = randomBytes(16).toString('base64');
    c.set('nonce', nonce);
    await next();
    const h = c.res.headers;
    if (!h.has('Content-Security-Policy')) h.set('Content-Security-Policy', pageCsp(nonce));
    h.set('X-Content-Type-Options', 'nosniff');
    if (!h.has('X-Frame-Options')) h.set('X-Frame-Options', 'DENY');
    h.set('Referrer-Policy', 'no-referrer');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    // A route may widen it: the message iframe is sandboxed (opaque origin), so its
    // cid image requests are cross-origin and need `cross-origin` on that route.
    if (!h.has('Cross-Origin-Resource-Policy')) h.set('Cross-Origin-Resource-Policy', 'same-origin');
    h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), interest-cohort=()');
    if (!h.has('Cache-Control')) h.set('Cache-Control', 'no-store');
  };
}
