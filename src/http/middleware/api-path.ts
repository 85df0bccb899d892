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

/** Hono's getPath with the /api normalization applied: pass as `new Hono({ getPath })`. */
export function apiAwareGetPath(request: Request): string {
  return normalizeApiPath(honoGetPath(request));
}
