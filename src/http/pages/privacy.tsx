// Pages for privacy (issue 4): /privacy from the running config, data rights
// on the account pages (owners for their own addresses and account, admins
// for any), and the audit log for admins. Exports are GET downloads (a read;
// recorded in the audit log); deletions are POST with a CSRF token.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { Csrf, csrfForm, formOf } from '../middleware/csrf.js';
import { canonicalAddress } from '../../policy/address.js';
import { isAdmin, principalFrom, sessionCookieName, ADMIN_USERNAME, type Principal } from '../middleware/principal.js';
import { privacyFacts } from '../privacy-facts.js';
import { PrivacyPage, AuditPage } from '../views/privacy.js';
import { eraseData, accountDeletionRefusal, type Subject } from '../../services/data-rights.js';
import { exportResponse } from '../api/privacy.js';
import { audit } from '../audit.js';

type C = Context<AppEnv>;
type UserPrincipal = Extract<Principal, { kind: 'user' }>;

export function privacyRoutes(deps: WebDeps, csrf: Csrf): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { store, config } = deps;

  app.get('/privacy', (c) =>
    c.html(<PrivacyPage nonce={c.get('nonce')} sections={privacyFacts(config, { session: sessionCookieName(c, config), csrf: csrf.cookieName(c) })} />),
  );

  app.use('/account/data/*', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('Request too large', 413) }));

  const signedIn = (c: C): UserPrincipal | null => {
    const p = principalFrom(c);
    return p.kind === 'user' ? p : null;
  };

  /** An address this user may export or erase: their own, or any for admins. */
  const addressFor = async (c: C, p: UserPrincipal, given: string): Promise<string | null> => {
    const a = canonicalAddress(given);
    if (!a) return null;
    return isAdmin(p) || (await store.data.addresses.ownerOf(a.inbox)) === p.user.id ? a.inbox : null;
  };

  /** "someone@domain" is an address, anything else a user name (admins only). */
  const subjectFor = async (c: C, p: UserPrincipal, given: string): Promise<{ subject: Subject; name: string } | null> => {
    const g = given.trim();
    if (g.includes('@')) {
      const inbox = await addressFor(c, p, g);
      return inbox ? { subject: { kind: 'address', inbox }, name: inbox } : null;
    }
    const u = await store.data.users.byName(g);
    if (!u || (!isAdmin(p) && u.id !== p.user.id)) return null;
    return { subject: { kind: 'account', userId: u.id }, name: u.username };
  };

  const refused = (c: C) => c.text('This form has expired or came from another site. Go back, reload the page and try again.', 403);
  /** POSTs: the CSRF and Origin check, then the form in c.var.form (middleware/csrf.ts). */
  const checked = csrfForm(csrf, refused);
  const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!signedIn(c)) return c.redirect('/login', 303);
    await next();
  };

  app.get('/account/data/address/:address/export', async (c) => {
    const p = signedIn(c);
    if (!p) return c.redirect('/login', 303);
    const inbox = await addressFor(c, p, c.req.param('address'));
    if (!inbox) return c.text('That address is not yours.', 403);
    await audit(c, deps, p, 'export', inbox, { messages: await store.reader.countAll(inbox) });
    return exportResponse(c, deps, { kind: 'address', inbox }, inbox);
  });

  app.post('/account/data/address/:address/delete', requireUser, checked, async (c) => {
    const p = signedIn(c)!;
    const body = formOf(c);
    const inbox = await addressFor(c, p, c.req.param('address'));
    if (!inbox) return c.text('That address is not yours.', 403);
    if (body['confirm'] !== 'yes') return c.text('Tick the box to confirm.', 400);
    const r = await eraseData({ store, eraser: deps.services.eraser }, { kind: 'address', inbox });
    await audit(c, deps, p, 'delete-data', inbox, { messages: r.messages });
    return c.redirect('/account', 303);
  });

  app.get('/account/data/me/export', async (c) => {
    const p = signedIn(c);
    if (!p) return c.redirect('/login', 303);
    await audit(c, deps, p, 'export', p.user.username, { account: true });
    return exportResponse(c, deps, { kind: 'account', userId: p.user.id }, p.user.username);
  });

  // ---- admins: the audit log and data rights for anyone

  const auditPage = async (c: C, extra: { notice?: string; error?: string } = {}, status: 200 | 400 | 403 = 200) =>
    c.html(<AuditPage nonce={c.get('nonce')} csrf={csrf.token(c)} entries={await store.data.audit.list({ limit: 200 })} {...extra} />, status);

  app.get('/account/audit', (c) => {
    const p = signedIn(c);
    if (!p) return c.redirect('/login', 303);
    if (!isAdmin(p)) return c.text('Only administrators can see the audit log.', 403);
    return auditPage(c);
  });

  app.get('/account/data/export', async (c) => {
    const p = signedIn(c);
    if (!p) return c.redirect('/login', 303);
    const s = await subjectFor(c, p, c.req.query('subject') ?? '');
    if (!s) return c.text('No such address or user, or not yours.', 403);
    await audit(c, deps, p, 'export', s.name, { account: s.subject.kind === 'account' });
    return exportResponse(c, deps, s.subject, s.name);
  });

  app.post('/account/data/delete', requireUser, checked, async (c) => {
    const p = signedIn(c)!;
    const body = formOf(c);
    if (!isAdmin(p)) return c.text('Only administrators can do this here.', 403);
    const s = await subjectFor(c, p, String(body['subject'] ?? ''));
    if (!s) return auditPage(c, { error: 'No such address or user.' }, 400);
    if (body['confirm'] !== 'yes') return auditPage(c, { error: 'Tick the box to confirm.' }, 400);
    if (s.subject.kind === 'account') {
      const u = (await store.data.users.byId(s.subject.userId))!;
      if (await accountDeletionRefusal(store, config, u, ADMIN_USERNAME)) {
        return auditPage(c, { error: 'That account cannot be deleted (the admin key acts as it, or it is the last admin).' }, 400);
      }
    }
    const r = await eraseData({ store, eraser: deps.services.eraser, billing: deps.services.billing }, s.subject);
    await audit(c, deps, p, 'delete-data', s.name, { messages: r.messages, account: s.subject.kind === 'account' });
    const billingNote = r.billing.canceled || r.billing.records ? ` Canceled ${r.billing.canceled} subscription(s) at Stripe and deleted ${r.billing.records} billing record(s).` : '';
    return auditPage(c, { notice: `Deleted ${r.messages} messages${s.subject.kind === 'account' ? `, ${r.addresses} addresses and the account` : ''} for ${s.name}.${billingNote}` });
  });

  return app;
}
