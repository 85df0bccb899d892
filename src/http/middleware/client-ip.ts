// The peer address of a request, as the socket saw it. One place, so the API
// limiter, the page limiter and the audit log name the same client.
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

/** The remote address, or '' when the runtime cannot tell (app.request() in tests). */
export function clientIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? '';
  } catch {
    return '';
  }
}
