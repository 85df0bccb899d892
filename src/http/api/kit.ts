// What every API resource file shares: the registry, the store, the message
// JSON shape, and the guards that answer 400/401/403/404 the same way
// everywhere (bad-input 61: one answer for a private inbox, whatever the key).
import os from 'node:os';
import type { Context } from 'hono';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { canonicalAddress } from '../../policy/address.js';
import { inboxAccess, type InboxAccess } from '../../policy/inbox-access.js';
import { readyMessageInInbox } from '../ready-message.js';
import type { MessageView } from '../../store/messages.js';
import type { Store } from '../../store/index.js';
import type { Config } from '../../config.js';
import { principalFrom, type Principal } from '../middleware/principal.js';
import { auditPrivateRead } from '../audit.js';
import type { ApiRegistry } from './registry.js';
import { apiError, MSG } from './errors.js';
import { bodyOf } from './params.js';
import { messageJson } from './json.js';

type C = Context<AppEnv>;
export type Guarded = { inbox: string; access: InboxAccess; p: Principal };

export interface ApiKit {
  reg: ApiRegistry;
  deps: WebDeps;
  store: Store;
  config: Config;
  /** A message as Mailsac's EmailMessage JSON. */
  json: (m: MessageView) => unknown;
  principal: (c: C, deps: WebDeps) => Principal;
  bodyOf: (c: C) => Record<string, unknown>;
  /** 401 unless a valid key was sent. */
  needUser: (c: C) => Response | null;
  /**
   * Checks the {email} parameter and the caller's rights on that inbox.
   * read: anyone who may read it; write: plus a key (star, label, delete one);
   * manage: the owner or an admin (delete all).
   */
  guard: (c: C, mode: 'read' | 'write' | 'manage') => Guarded | Response;
  guardMessage: (c: C, mode: 'read' | 'write' | 'manage') => Promise<(Guarded & { m: MessageView }) | Response>;
  listOf: (ids: string[]) => unknown[];
}

function viaName(deps: WebDeps): string {
  return deps.config.smtp.hostname || os.hostname();
}

export function createKit(deps: WebDeps, reg: ApiRegistry): ApiKit {
  const { store, config } = deps;
  const via = viaName(deps);
  // privacy.storeSenderIp off: the sending host is not shown, even for mail stored before it was turned off.
  const json = (m: MessageView) => messageJson(store, config.privacy.storeSenderIp ? m : { ...m, ip: '', helo: '' }, via);
  const principal = (c: C, d: WebDeps): Principal => principalFrom(c, d);

  const needUser = (c: C): Response | null => {
    const p = principal(c, deps);
    if (p.kind === 'user') return null;
    return apiError(c, 401, p.badKey ? MSG.badKey : MSG.noKey);
  };

  const guard = (c: C, mode: 'read' | 'write' | 'manage'): Guarded | Response => {
    const p = principal(c, deps);
    const a = canonicalAddress(c.req.param('email') ?? '');
    if (!a) return apiError(c, 400, MSG.badEmail);
    const access = inboxAccess(deps, a.inbox, p);
    // Private and not yours: one answer, whatever the key (bad-input 61).
    if (access.kind !== 'public' && !access.read) return apiError(c, 403, MSG.forbidden);
    if (p.kind === 'anonymous' && p.badKey) return apiError(c, 401, MSG.badKey);
    if (!access.read || (mode !== 'read' && p.kind === 'anonymous')) return apiError(c, 401, MSG.noKey);
    if (mode === 'manage' && !access.manage) return apiError(c, 403, 'Only the owner of a private address, or an admin, can do this');
    auditPrivateRead(c, deps, p, a.inbox, c.req.param('messageId'));
    return { inbox: a.inbox, access, p };
  };

  const guardMessage = async (c: C, mode: 'read' | 'write' | 'manage'): Promise<(Guarded & { m: MessageView }) | Response> => {
    const g = guard(c, mode);
    if (g instanceof Response) return g;
    // Ids are opaque and checked against the inbox (bad-input 60); a message not ready yet is waited for (issue 10).
    const m = await readyMessageInInbox(deps, g.inbox, c.req.param('messageId') ?? '');
    if (!m) return apiError(c, 404, MSG.notFound);
    return { ...g, m };
  };

  const listOf = (ids: string[]) => ids.map((id) => store.messages.get(id)).filter((m): m is MessageView => m !== null).map(json);

  return { reg, deps, store, config, json, principal, bodyOf, needUser, guard, guardMessage, listOf };
}
