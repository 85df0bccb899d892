// What every API resource file shares: the registry, the store, the message
// JSON shape, and the guards that answer 400/401/403/404 the same way
// everywhere (bad-input 61: one answer for a private inbox, whatever the key).
import os from 'node:os';
import type { EngineStore } from '../../store/engine-store.js';
import { isIP } from 'node:net';
import type { Context } from 'hono';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { readyMessageInInbox } from '../ready-message.js';
import type { MessageView } from '../../store/messages.js';
import type { Config } from '../../config.js';
import { isAdmin, principalFrom, type Principal } from '../middleware/principal.js';
import { guardedInbox, type GuardedInbox } from '../middleware/inbox-guard.js';
import { readerFor } from '../../policy/inbox-access.js';
import type { ApiRegistry } from './registry.js';
import { apiError, MSG } from './errors.js';
import { bodyOf } from './params.js';
import { messageJson, savedByFor } from './json.js';

type C = Context<AppEnv>;
export type Guarded = GuardedInbox;

export interface ApiKit {
  reg: ApiRegistry;
  deps: WebDeps;
  store: EngineStore;
  config: Config;
  /** A message as Mailsac's EmailMessage JSON, as this principal may see it. */
  json: (m: MessageView, viewer: Principal) => Promise<unknown>;
  principal: (c: C, deps: WebDeps) => Principal;
  bodyOf: (c: C) => Record<string, unknown>;
  /** 401 unless a valid key was sent. */
  needUser: (c: C) => Response | null;
  /** The {email} inbox and the caller's rights, as the inbox guard decided them (registry.ts mounts it). */
  guarded: (c: C) => Guarded;
  /** The same, and the {messageId} message of that inbox; 404 when it is not there. */
  guardMessage: (c: C) => Promise<(Guarded & { m: MessageView }) | Response>;
  listOf: (ids: string[], viewer: Principal) => Promise<unknown[]>;
}

/**
 * The IP address Mailsac's `via` names: the SMTP listener's own address when
 * it is bound to one, else this host's first external interface address.
 */
export function viaAddress(host: string, interfaces = os.networkInterfaces()): string {
  if (isIP(host) && host !== '0.0.0.0' && host !== '::') return host;
  const all = Object.values(interfaces).flatMap((list) => list ?? []);
  const external = all.filter((i) => !i.internal);
  return (external.find((i) => i.family === 'IPv4') ?? external[0] ?? all.find((i) => i.family === 'IPv4'))?.address ?? '127.0.0.1';
}

export function createKit(deps: WebDeps, reg: ApiRegistry): ApiKit {
  const { store, config } = deps;
  const via = viaAddress(config.smtp.host);
  // privacy.storeSenderIp off: no address is shown, the sender's (even for mail
  // stored before it was turned off) nor the listener's it connected to.
  const json = async (m: MessageView, p: Principal) => {
    const savedBy = await savedByFor(store, m, { userId: p.kind === 'user' ? p.user.id : null, admin: isAdmin(p) });
    return config.privacy.storeSenderIp ? messageJson(m, via, savedBy) : messageJson({ ...m, ip: '', helo: '' }, '', savedBy);
  };
  // apiPrincipal resolved it before any handler; the deps argument stays for the kit's shape.
  const principal = (c: C, _deps: WebDeps): Principal => principalFrom(c);

  const needUser = (c: C): Response | null => {
    const p = principal(c, deps);
    if (p.kind === 'user') return null;
    return apiError(c, 401, p.badKey ? MSG.badKey : MSG.noKey);
  };

  const guardMessage = async (c: C): Promise<(Guarded & { m: MessageView }) | Response> => {
    const g = guardedInbox(c);
    // Ids are opaque and checked against the inbox (bad-input 60); a message not ready yet is waited for (issue 10).
    const m = await readyMessageInInbox(deps, g.inbox, c.req.param('messageId') ?? '', readerFor(g.p));
    if (!m) return apiError(c, 404, MSG.notFound);
    return { ...g, m };
  };

  // Ids to JSON through the reader, dropping any deleted meanwhile.
  const listOf = async (ids: string[], viewer: Principal) =>
    Promise.all((await Promise.all(ids.map((id) => store.reader.get(id)))).filter((m): m is MessageView => m !== null).map((m) => json(m, viewer)));

  return { reg, deps, store, config, json, principal, bodyOf, needUser, guarded: guardedInbox, guardMessage, listOf };
}
