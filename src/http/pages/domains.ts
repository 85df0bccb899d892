// An account's own domains on the account page (issue 12): add one, verify it
// by DNS, make it private or public, change its push settings, remove it.
// The rules are the domain service's (services/domains.ts).
import type { Hono } from 'hono';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { formOf } from '../middleware/csrf.js';
import { isAdmin } from '../middleware/principal.js';
import { parseForwarding } from '../../policy/forwarding.js';
import type { DomainRefusal } from '../../services/domains.js';
import { DOMAIN_UPGRADE_HINT } from '../../services/billing.js';
import type { AccountShared } from './account-shared.js';

const DOMAIN_ERROR: Record<DomainRefusal, string> = {
  invalid: 'That is not a domain name.',
  'operator-domain': "That domain is the operator's.",
  taken: 'That domain was added by another account.',
  'already-yours': 'You already added that domain.',
  'not-yours': 'That domain is not yours.',
  unknown: 'That domain is not yours.',
  'too-many': 'Too many domains on this account.',
  'over-plan': DOMAIN_UPGRADE_HINT,
};

export function registerDomainPages(app: Hono<AppEnv>, deps: WebDeps, { checked, requireUser, me, accountPage }: AccountShared): void {
  const config = deps.config;

  app.post('/account/domains', requireUser, checked, async (c) => {
    const p = me(c);
    const r = await deps.services.domains.add(p.user.id, formOf(c).domain ?? '');
    if (!r.ok) return accountPage(c, p, { error: DOMAIN_ERROR[r.reason] }, 400);
    return accountPage(c, p, { notice: `${r.value.domain} added: publish its records below, then check DNS.` });
  });

  app.post('/account/domains/:domain/:action{verify|privacy|settings|remove}', requireUser, checked, async (c) => {
    const p = me(c);
    const r = await deps.services.domains.owned(p.user.id, isAdmin(p), c.req.param('domain') ?? '');
    if (!r.ok) return accountPage(c, p, { error: DOMAIN_ERROR[r.reason] }, 403);
    const action = c.req.param('action');
    if (action === 'verify') {
      const d = await deps.services.domains.verify(r.value);
      return d.verified ? accountPage(c, p, { notice: `${d.domain} is verified: its mail is yours.` }) : accountPage(c, p, { error: `${d.domain} is not verified yet: ${d.lastError}` }, 400);
    }
    if (action === 'settings') {
      const f = formOf(c);
      // The form always sends every field: empty turns it off, an unticked box is false.
      const fields = parseForwarding(
        {
          forward: (f.forward ?? '').trim(),
          webhook: (f.webhook ?? '').trim(),
          webhookSlack: (f.webhookSlack ?? '').trim(),
          webhookSlackToFrom: f.webhookSlackToFrom === 'true',
          enablews: f.enablews === 'true',
        },
        config,
        `*@${r.value.domain}`,
      );
      if (typeof fields === 'string') return accountPage(c, p, { error: fields.charAt(0).toUpperCase() + fields.slice(1) + '.' }, 400);
      const d = await deps.services.domains.updateSettings(r.value, fields);
      return accountPage(c, p, { notice: `Saved the settings of ${d.domain}.` });
    }
    if (action === 'privacy') {
      const d = await deps.services.domains.setPrivate(r.value, formOf(c).private === 'true');
      return accountPage(c, p, { notice: `${d.domain} is now ${d.isPrivate ? 'private' : 'public'}.` });
    }
    await deps.services.domains.remove(r.value);
    return accountPage(c, p, { notice: `${r.value.domain} removed: its mail is no longer accepted.` });
  });
}
