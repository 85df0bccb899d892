// Private addresses of the account page: reserve one, change its settings
// (info, forwarding, webhooks, websocket), release it with or without its mail.
// The rules are the address service's (services/addresses.ts) and
// parseForwarding's, as for the API and the CLI.
import type { Hono } from 'hono';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { formOf } from '../middleware/csrf.js';
import { canonicalAddress } from '../../policy/address.js';
import { isAdmin } from '../middleware/principal.js';
import { parseForwarding } from '../../policy/forwarding.js';
import { UPGRADE_HINT } from '../../services/billing.js';
import type { AccountShared, C, UserPrincipal } from './account-shared.js';

export function registerAddressPages(app: Hono<AppEnv>, deps: WebDeps, { checked, requireUser, me, accountPage }: AccountShared): void {
  const { store, config } = deps;

  app.post('/account/addresses', requireUser, checked, async (c) => {
    const p = me(c);
    const f = formOf(c);
    const a = canonicalAddress(f.address ?? '');
    if (!a) return accountPage(c, p, { error: 'That is not an email address.' }, 400);
    const r = await deps.services.addresses.reserve(p.user.id, a);
    if (!r.ok) {
      const error = {
        'foreign-domain': `Mailroom receives mail only for ${config.domains.join(', ')} and the verified domains of accounts.`,
        'reserved-local-part': 'That local part is reserved for the operator.',
        'already-yours': `${a.inbox} is already yours.`,
        taken: `${a.inbox} is not available.`,
        'over-plan': `${a.inbox} was not reserved. ${UPGRADE_HINT}`,
        'catch-all': `${a.inbox} is your domain's catch-all address: its settings are the domain's.`,
      }[r.reason];
      return accountPage(c, p, { error }, 400);
    }
    return accountPage(c, p, { notice: `${a.inbox} is now private to you.` });
  });

  /** The address in the path, if it is this user's (admins: anyone's). */
  const ownedTarget = async (c: C, p: UserPrincipal) => {
    const a = canonicalAddress(c.req.param('address') ?? '');
    const owned = a ? await store.data.addresses.get(a.inbox) : null;
    return owned && (owned.ownerId === p.user.id || isAdmin(p)) ? owned : null;
  };

  app.post('/account/addresses/:address', requireUser, checked, async (c) => {
    const p = me(c);
    const f = formOf(c);
    const owned = await ownedTarget(c, p);
    if (!owned) return accountPage(c, p, { error: 'That address is not yours.' }, 403);
    // The form always sends every field: empty turns it off, an unticked box is false.
    const fields = parseForwarding({
      info: f.info ?? '',
      forward: (f.forward ?? '').trim(),
      webhook: (f.webhook ?? '').trim(),
      webhookSlack: (f.webhookSlack ?? '').trim(),
      enablews: f.enablews === 'true',
    }, config);
    if (typeof fields === 'string') return accountPage(c, p, { error: fields.charAt(0).toUpperCase() + fields.slice(1) + '.' }, 400);
    await deps.services.addresses.update(owned.address, fields);
    return accountPage(c, p, { notice: `Saved ${owned.address}.` });
  });

  app.post('/account/addresses/:address/release', requireUser, checked, async (c) => {
    const p = me(c);
    const f = formOf(c);
    const owned = await ownedTarget(c, p);
    if (!owned) return accountPage(c, p, { error: 'That address is not yours.' }, 403);
    const { wiped: wipe } = await deps.services.addresses.release(owned.address, { deleteMessages: f.deleteMessages === 'true' });
    return accountPage(c, p, { notice: wipe ? `${owned.address} released; its messages were deleted.` : `${owned.address} released: it is public again, with its mail.` });
  });
}
