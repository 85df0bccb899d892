// Which inboxes a key may watch over the websocket (issue 11). The read rule
// is the API's (policy/inbox-access.ts inboxAccess); on top of it, as on Mailsac,
// a private address is pushed only when its owner turned websocket publishing
// on (`enablews`), and public inboxes only while the operator allows them to
// be watched (websocket.publicInboxes).
//
// Every address under an account's own verified domain (issue 12) follows
// its domain's `enablews` (Mailsac's custom-domain setting, off by default):
// on, the domain's mail is pushed to whoever may read it; off, only an
// address reserved there with its own `enablews` on is.
import type { Config } from '../config.js';
import type { EngineStore } from '../store/engine-store.js';
import { inboxAccess } from '../policy/inbox-access.js';
import { isAdmin, type Principal } from '../http/middleware/principal.js';

/** Why `p` may not watch `inbox` (canonical), or null when it may. */
export async function watchRefusal(deps: { store: EngineStore; config: Config }, inbox: string, p: Principal): Promise<string | null> {
  const access = await inboxAccess(deps, inbox, p);
  if (!access.read) return access.kind === 'public' ? 'this key may not read public inboxes here' : 'this inbox is private and not yours';
  if (access.kind === 'public' && !deps.config.websocket.publicInboxes) return 'watching public inboxes is turned off by the operator';
  const domain = await deps.store.data.domains.pushSettings(inbox.slice(inbox.lastIndexOf('@') + 1));
  if (domain) {
    if (domain.enablews || (await deps.store.data.addresses.get(inbox))?.enablews) return null;
    return "websocket publishing is off for this domain: set enablews (PUT /api/domains/{domain})";
  }
  if (access.kind === 'owned' && !(await deps.store.data.addresses.get(inbox))?.enablews) {
    return 'websocket publishing is off for this address: set enablews (PUT /api/private-address-forwarding/{email})';
  }
  return null;
}

/**
 * Why `p` may not watch a whole domain (addresses=...,example.com), or null:
 * any of the operator's domains (each message is judged by watchRefusal as it
 * comes), or an account's verified domain its owner (or an admin) watches
 * with the domain's enablews on.
 */
export async function domainWatchRefusal(
  deps: { store: EngineStore; config: Config },
  domain: string,
  p: Principal,
): Promise<{ status: 400 | 403; error: string } | null> {
  if (deps.config.domains.includes(domain)) return null;
  const d = await deps.store.data.domains.get(domain);
  if (!d || d.verified === null) return { status: 400, error: `Mailroom does not receive mail for ${domain}` };
  if (p.kind !== 'user' || (d.ownerId !== p.user.id && !isAdmin(p))) return { status: 403, error: `${domain} is another account's domain` };
  if (!d.enablews) return { status: 403, error: `websocket publishing is off for ${domain}: set enablews (PUT /api/domains/${domain})` };
  return null;
}
