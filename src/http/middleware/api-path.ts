// How request paths are read for routing (issue 12, "Mailsac suites unchanged"):
// under /api a trailing slash or a doubled slash names the same route, as it
// does on Mailsac (its own docs snippet for purging an inbox ends in "/").
// The path is normalized before routing, not redirected, so there is no
// Location header to abuse (no open redirect), and the query string and any
// percent-encoded slash (%2F stays encoded after Hono's decodeURI) are untouched.
// Other paths (pages) are routed exactly as sent.
import { getPath as honoGetPath } from 'hono/utils/url';

export function normalizeApiPath(path: string): string {
  if (!/^\/+api(\/|$)/.test(path)) return path;
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.replace(/\/+$/, '') || '/' : collapsed;
}

/** A request target with `.` or `..` segments, raw or percent-encoded (bad-input 60). */
const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|\?|#|$)/i;

/**
 * Hono's getPath with the /api normalization applied: pass as `new Hono({ getPath })`.
 * The server has already resolved dot segments (WHATWG URL): `…/messages/..`
 * arrives as `…/{email}/`. Such a target is routed exactly as resolved, with
 * no slash normalization, so a message id that is a path still lands nowhere
 * (404) instead of on the parent resource; real clients never send one.
 */
export function apiAwareGetPath(request: Request, options?: { env?: unknown }): string {
  const path = honoGetPath(request);
  const raw = (options?.env as { incoming?: { url?: string } } | undefined)?.incoming?.url;
  if (raw !== undefined && DOT_SEGMENT.test(raw.split('?')[0]!)) return path;
  return normalizeApiPath(path);
}
