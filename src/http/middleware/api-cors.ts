// CORS for the API (issue 12: browser test suites written for Mailsac send a
// preflight OPTIONS before any request carrying the Mailsac-Key header).
//
// Why `Access-Control-Allow-Origin: *` is safe here: the API reads no cookies
// (api-principal.ts takes the key from the header, query or body only) and
// never sends `Access-Control-Allow-Credentials`, so a foreign page can act
// only with a key it already has. What a foreign page must not do is use a
// visitor's network position to read an intranet Mailroom's public inboxes,
// so a real request is made readable cross-origin only when it carries a key
// (header or _mailsacKey); without one, no Allow-Origin is sent and the
// browser keeps the answer from the page. The preflight itself always
// answers: it grants nothing but permission to send the key header.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../deps.js';
import { bodyOf } from '../api/params.js';

const ALLOW_METHODS = 'GET, POST, PUT, DELETE, OPTIONS';
const ALLOW_HEADERS = 'Mailsac-Key, Content-Type, Accept';
const EXPOSE_HEADERS = 'Retry-After, Content-Disposition';

export function apiCors(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') {
      c.header('Access-Control-Allow-Origin', '*');
      c.header('Access-Control-Allow-Methods', ALLOW_METHODS);
      c.header('Access-Control-Allow-Headers', ALLOW_HEADERS);
      c.header('Access-Control-Max-Age', '600');
      c.header('Vary', 'Origin');
      return c.body(null, 204);
    }
    await next();
    const keyed = Boolean(c.req.header('mailsac-key') || c.req.query('_mailsacKey') || bodyOf(c)._mailsacKey);
    if (keyed && c.req.header('origin')) {
      c.res.headers.set('Access-Control-Allow-Origin', '*');
      c.res.headers.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    }
  };
}
