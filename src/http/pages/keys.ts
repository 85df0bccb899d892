// API keys of the account page: create one (shown once, on the page that
// answers the form) and revoke one.
import type { Hono } from 'hono';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { formOf } from '../middleware/csrf.js';
import { audit } from '../audit.js';
import type { AccountShared } from './account-shared.js';

export function registerKeyPages(app: Hono<AppEnv>, deps: WebDeps, { checked, requireUser, me, accountPage }: AccountShared): void {
  const accounts = deps.services.accounts;

  app.post('/account/keys', requireUser, checked, async (c) => {
    const p = me(c);
    const f = formOf(c);
    const { key, record } = await accounts.createKey(p.user.id, f.name ?? '');
    await audit(c, deps, p, 'key-create', p.user.username, { keyId: record.id, name: record.name });
    // Rendered, not redirected: the key must never sit in a URL or history.
    return accountPage(c, p, { newKey: { name: record.name, key } });
  });

  app.post('/account/keys/:id/revoke', requireUser, checked, async (c) => {
    const p = me(c);
    formOf(c); // no fields needed; it asserts the CSRF check ran
    // Revoking a key that already is changes nothing: the page shows it revoked.
    const r = await accounts.revokeKey(Number(c.req.param('id')), { ownerId: p.user.id });
    if (!r.ok && r.reason !== 'already-revoked') return accountPage(c, p, { error: 'No such key.' }, 400);
    return c.redirect('/account', 303);
  });
}
