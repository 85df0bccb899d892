// Reading the API's inputs as real clients send them: bodies, booleans, dates, numbers.
import type { Context } from 'hono';
import type { AppEnv } from '../deps.js';
import type { Scope } from '../../store/message-queries.js';
import { isAdmin, type Principal } from '../middleware/principal.js';
import type { ParamDoc } from './registry.js';

type C = Context<AppEnv>;

/** Where the JSON body of this request was put by the body middleware. */
export const bodies = new WeakMap<Request, Record<string, unknown>>();

export function bodyOf(c: C): Record<string, unknown> {
  return bodies.get(c.req.raw) ?? {};
}

/**
 * Reads a request body the way real clients send it: JSON whatever the
 * Content-Type says (curl -d labels JSON as form data), a urlencoded form,
 * or nothing at all (PUTs with no body). Returns null when it is not readable.
 */
export function parseBody(text: string, contentType: string): Record<string, unknown> | null {
  const t = text.trim();
  if (t === '') return {};
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      const v = JSON.parse(t);
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : { _array: v };
    } catch {
      return null;
    }
  }
  if (contentType.includes('application/x-www-form-urlencoded') || /^[^=&\s]+=/.test(t)) {
    return Object.fromEntries(new URLSearchParams(t));
  }
  return null;
}

export { parseBoolean as bool } from '../../policy/forwarding.js';

/** `until`/`since`: an ISO 8601 date or epoch milliseconds. undefined: absent; null: malformed. */
export function dateParam(v: string | undefined): number | undefined | null {
  if (v === undefined || v === '') return undefined;
  const n = /^\d{1,15}$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isFinite(n) ? n : null;
}

export function intParam(v: string | undefined, min: number, max: number): number | undefined | null {
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,9}$/.test(v.trim())) return null;
  return Math.max(min, Math.min(max, Number(v)));
}
/** Scope of "the account's messages": everything for admins, the owned addresses for users. */
export function accountScope(p: Principal): Scope {
  if (isAdmin(p)) return { kind: 'all' };
  // The account's inboxes and the mail it captured (issue 12); readers pass readerFor(p) too.
  return { kind: 'account', userId: p.kind === 'user' ? p.user.id : -1 };
}

export const DOWNLOAD: ParamDoc = { name: 'download', type: 'integer', enum: ['1'], description: 'Set to 1 to download as a file' };
export const LIMIT: ParamDoc = { name: 'limit', type: 'integer', description: 'At most this many (default 20, max 1000)' };
export const UNTIL: ParamDoc = { name: 'until', type: 'string', description: 'Only messages received before this ISO 8601 date' };
export const EMAIL_DOC = { email: 'Email address; `+tag` is ignored, `@` and `+` may be percent-encoded' };
export const MSG_DOCS = { ...EMAIL_DOC, messageId: 'Message id (`_id`)' };
