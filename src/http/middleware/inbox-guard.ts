// The inbox guard (issue 10 part 3): the {email}/{address} path parameter,
// made canonical, and the caller's rights on that inbox (policy/inbox-access.ts),
// decided once per request before any handler runs and left in c.var.inbox.
// A handler that forgets a check still cannot leak a private inbox.
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv, HttpDeps } from '../deps.js';
import { canonicalAddress } from '../../policy/address.js';
import { inboxAccess, isReservedInbox, type InboxAccess } from '../../policy/inbox-access.js';
import { principalFrom, type Principal } from './principal.js';
import { auditPrivateRead } from '../audit.js';
import { apiError, MSG } from '../api/errors.js';

/** read: anyone who may read it; write: plus a key (star, label, delete one); manage: the owner or an admin (delete all). */
export type InboxMode = 'read' | 'write' | 'manage';

export interface GuardedInbox {
  /** Canonical address. */
  inbox: string;
  access: InboxAccess;
  p: Principal;
}

type Deps = Pick<HttpDeps, 'store' | 'config' | 'log'>;

/** What the guard left for this request; a route mounted without it is a programming error. */
export function guardedInbox(c: Context<AppEnv>): GuardedInbox {
  const g = c.get('inbox');
  if (!g) throw new Error(`no inbox guard on ${c.req.path}`);
  return g;
}

/**
 * The API's answers (bad-input 61): 400 not an address; 403 private and not
 * yours, whatever the key; 401 a bad key, or no key where one is needed; 403
 * when only the owner or an admin may.
 */
export function apiInboxGuard(deps: Deps, mode: InboxMode): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const p = principalFrom(c);
    const a = canonicalAddress(c.req.param('email') ?? '');
    if (!a) return apiError(c, 400, MSG.badEmail);
    const access = inboxAccess(deps, a.inbox, p);
    if (access.kind !== 'public' && !access.read) return apiError(c, 403, MSG.forbidden);
    if (p.kind === 'anonymous' && p.badKey) return apiError(c, 401, MSG.badKey);
    // Changing needs the change right (issue 13 item 1: one rule for the API and the pages).
    if (!access.read || (mode !== 'read' && !access.change)) return apiError(c, 401, MSG.noKey);
    if (mode === 'manage' && !access.manage) return apiError(c, 403, 'Only the owner of a private address, or an admin, can do this');
    await auditPrivateRead(c, deps, p, a.inbox, c.req.param('messageId'));
    c.set('inbox', { inbox: a.inbox, access, p });
    await next();
  };
}

/**
 * The pages' guard for everything under /inbox/{address}: refused with
 * `deny` (one answer for no login, another user or a bad key, bad-input 61).
 * Reserved local parts and non-canonical spellings are left to the page,
 * which has its own answer and redirect for them.
 */
export function pageInboxGuard(deps: Deps, deny: (c: Context<AppEnv>) => Response | Promise<Response>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const a = canonicalAddress(c.req.param('address') ?? '');
    if (a && !isReservedInbox(deps.config, a.inbox)) {
      const p = principalFrom(c);
      const access = inboxAccess(deps, a.inbox, p);
      if (!access.read) return deny(c);
      c.set('inbox', { inbox: a.inbox, access, p });
    }
    // An admin reading someone else's private inbox is recorded (issue 4): the
    // inbox and message pages, raw source and attachments; not the iframe body
    // and inline images a message page loads with it.
    if (a && !/\/(html|cid\/[^/]*)$/.test(c.req.path)) {
      const seg = c.req.path.split('/');
      await auditPrivateRead(c, deps, principalFrom(c), a.inbox, seg[3] && /^[A-Za-z0-9_-]{1,64}$/.test(seg[3]) ? seg[3] : undefined);
    }
    await next();
  };
}
