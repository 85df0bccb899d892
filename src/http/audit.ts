// Recording to the audit log from a request (issue 4): who (the principal),
// from where (only when privacy.storeSenderIp allows IP addresses at all).
import type { Context } from 'hono';
import { clientIp } from './middleware/client-ip.js';
import type { AuditAction } from '../store/audit.js';
import type { WebDeps } from './deps.js';
import type { EngineStore } from '../store/engine-store.js';
import { isAdmin, type Principal } from './middleware/principal.js';
import { inboxAccess } from '../policy/inbox-access.js';


export async function audit(
  c: Context,
  deps: Pick<WebDeps, 'config'> & { store: EngineStore },
  p: Principal,
  action: AuditAction,
  target: string,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await deps.store.data.audit.record({
    actorId: p.kind === 'user' ? p.user.id : null,
    actor: p.kind === 'user' ? p.user.username : 'anonymous',
    action,
    target,
    detail: { ...detail, via: p.kind === 'user' ? p.via : 'none' },
    ip: deps.config.privacy.storeSenderIp ? clientIp(c, deps.config.http.trustedProxies) : '',
  });
}

/**
 * An admin reading mail of an inbox that is private and not theirs (reserved
 * local parts, or an address someone else owns) is recorded; owners reading
 * their own mail and anyone reading public mail are not.
 */
export async function auditPrivateRead(c: Context, deps: Pick<WebDeps, 'store' | 'config'>, p: Principal, inbox: string, messageId?: string): Promise<void> {
  if (!isAdmin(p) || p.kind !== 'user') return;
  const a = await inboxAccess(deps, inbox, p);
  if (a.kind === 'public' || a.ownerId === p.user.id) return;
  if (messageId) await audit(c, deps, p, 'read-message', messageId, { inbox, method: c.req.method, path: c.req.path });
  else await audit(c, deps, p, 'read-inbox', inbox, { method: c.req.method, path: c.req.path });
}
