// Which inboxes a key may watch over the websocket (issue 11). The read rule
// is the API's (policy/inbox-access.ts inboxAccess); on top of it, as on Mailsac,
// a private address is pushed only when its owner turned websocket publishing
// on (`enablews`), and public inboxes only while the operator allows them to
// be watched (websocket.publicInboxes).
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import { inboxAccess } from '../policy/inbox-access.js';
import type { Principal } from '../http/middleware/principal.js';

/** Why `p` may not watch `inbox` (canonical), or null when it may. */
export function watchRefusal(deps: { store: Store; config: Config }, inbox: string, p: Principal): string | null {
  const access = inboxAccess(deps, inbox, p);
  if (!access.read) return access.kind === 'public' ? 'this key may not read public inboxes here' : 'this inbox is private and not yours';
  if (access.kind === 'public') return deps.config.websocket.publicInboxes ? null : 'watching public inboxes is turned off by the operator';
  if (access.kind === 'owned' && !deps.store.addresses.get(inbox)?.enablews) {
    return 'websocket publishing is off for this address: set enablews (PUT /api/private-address-forwarding/{email})';
  }
  return null;
}
