// Account pages (issue 3): sign in with a password and one session cookie,
// manage API keys and private addresses, search the inboxes one may read,
// and star, label and file one's own mail. Server-rendered, no inline
// scripts; every POST carries a CSRF token and is checked against Origin
// (bad-input 63); GET never changes anything.
import { DomainService, type DomainRefusal } from '../../services/domains.js';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { Csrf, csrfForm, formOf } from '../middleware/csrf.js';
import { pageInboxGuard } from '../middleware/inbox-guard.js';
import { canonicalAddress } from '../../policy/address.js';
import type { MessageView } from '../../store/messages.js';
import { searchableInput, type Scope } from '../../store/message-queries.js';
import { isAdmin, principalFrom, sessionCookieName, type Principal } from '../middleware/principal.js';
import { inboxAccess, readerFor } from '../../policy/inbox-access.js';
import { parseForwarding } from '../../policy/forwarding.js';
import { FOLDERS, MAX_LABEL } from '../../services/inboxes.js';
import { loginThrottleFor } from '../middleware/rate-limit.js';
import { knownDevicesFor } from '../middleware/known-device.js';
import { clientIp } from '../middleware/client-ip.js';
import { audit } from '../audit.js';
import { LoginPage } from '../views/account/login.js';
import { AccountPage } from '../views/account/account.js';
import { MailPage, PrivateInboxPage, SearchPage } from '../views/account/search.js';
import { UPGRADE_HINT, DOMAIN_UPGRADE_HINT, STRIPE_HOSTED_PAGES } from '../../services/billing.js';
import { pageCsp } from '../middleware/security-headers.js';
import type { User } from '../../store/users.js';

type C = Context<AppEnv>;
type UserPrincipal = Extract<Principal, { kind: 'user' }>;



export function accountRoutes(deps: WebDeps, csrf: Csrf): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { store, config } = deps;
  const accounts = deps.services.accounts;
  const loginThrottle = loginThrottleFor(store);
  const knownDevices = knownDevicesFor(store, config);
  const apiBase = () => (config.http.publicUrl ? `${config.http.publicUrl}/api` : '/api');

  const secure = (c: C) => new URL(c.req.url).protocol === 'https:' || config.http.publicUrl.startsWith('https:');

  const refused = (c: C) => c.text('This form has expired or came from another site. Go back, reload the page and try again.', 403);
  /** POSTs: the CSRF and Origin check, then the form in c.var.form (middleware/csrf.ts). */
  const checked = csrfForm(csrf, refused);

  const user = (c: C): UserPrincipal | null => {
    const p = principalFrom(c);
    return p.kind === 'user' ? p : null;
  };
  /** Pages that need a signed-in user; everyone else goes to the login page. */
  const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!user(c)) return c.redirect('/login', 303);
    await next();
  };
  /** The user, behind requireUser. */
  const me = (c: C): UserPrincipal => user(c)!;

  const startSession = async (c: C, userId: number) => {
    const token = await accounts.startSession(userId);
    setCookie(c, sessionCookieName(c, config), token, {
      path: '/',
      httpOnly: true,
      sameSite: 'Lax',
      secure: secure(c),
      maxAge: Math.floor(accounts.sessionTtlMs() / 1000),
    });
  };

  // Every page under /inbox/{address} (the inbox, its messages, bodies,
  // attachments, raw source, events) is refused here, before any page
  // handler runs, when the reader may not read that inbox: a page that
  // forgets its own check still cannot leak a private inbox. Same answer for
  // no login, another user, or a bad key (bad-input 61).
  const inboxGuard = pageInboxGuard(deps, (c) => c.html(<PrivateInboxPage nonce={c.get('nonce')} signedIn={user(c) !== null} />, 403));
  app.use('/inbox/:address', inboxGuard);
  app.use('/inbox/:address/*', inboxGuard);

  // Forms are small; nothing here takes more.
  app.use('/login', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('Request too large', 413) }));
  app.use('/register', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('Request too large', 413) }));
  app.use('/logout', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('Request too large', 413) }));
  app.use('/account/*', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('Request too large', 413) }));

  // ------------------------------------------------------------------ login

  const loginPage = (c: C, mode: 'login' | 'register', error?: string, username?: string, status: 200 | 400 | 401 | 403 | 429 = 200) =>
    c.html(
      <LoginPage nonce={c.get('nonce')} csrf={csrf.token(c)} error={error} username={username} registration={config.auth.registration} mode={mode} />,
      status,
    );

  app.get('/login', (c) => (user(c) ? c.redirect('/account', 303) : loginPage(c, 'login')));

  app.post('/login', checked, async (c) => {
    const f = formOf(c);
    // Throttled per account and client, per client and per account, with
    // growing delays and no hard lockout; a browser that signed in to this
    // account before is let through (issue 13, rate-limit.ts LoginThrottle).
    const name = (f.username ?? '').slice(0, 64);
    const attempt = {
      account: name.toLowerCase(),
      client: clientIp(c, config.http.trustedProxies) || 'unknown',
      device: knownDevices.deviceFor(c, (await store.data.users.byName(name))?.id),
    };
    const wait = await loginThrottle.retryAfterSeconds(attempt);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      return loginPage(c, 'login', `Too many failed sign-ins. Wait ${wait < 60 ? `${wait} seconds` : `${Math.ceil(wait / 60)} minutes`} and try again.`, f.username, 429);
    }
    const u = await accounts.checkPassword(name, f.password ?? '');
    if (!u) {
      await loginThrottle.failed(attempt);
      return loginPage(c, 'login', 'That user name and password do not match.', f.username, 401);
    }
    await loginThrottle.succeeded(attempt);
    knownDevices.remember(c, u.id);
    await startSession(c, u.id);
    // Login records (privacy.loginRecordDays): who and when, and from where when IP storage is on.
    await audit(c, deps, { kind: 'user', user: u, via: 'session' }, 'login', u.username);
    return c.redirect('/account', 303);
  });

  const registrationOn: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!config.auth.registration) return c.text('Registration is turned off on this Mailroom.', 404);
    await next();
  };
  app.get('/register', registrationOn, (c) => loginPage(c, 'register'));

  app.post('/register', registrationOn, checked, async (c) => {
    const f = formOf(c);
    const name = (f.username ?? '').trim();
    const pw = f.password ?? '';
    const r = await accounts.createUser({ username: name, password: pw, selfService: true });
    if (!r.ok) {
      const error = {
        'bad-name': 'Choose another user name: letters, digits, ".", "_" or "-".',
        'too-short': 'Passwords are at least 10 characters.',
        'too-long': 'Passwords are at least 10 characters.',
        taken: 'That user name is taken.',
      }[r.reason];
      return loginPage(c, 'register', error, name, 400);
    }
    await startSession(c, r.value.id);
    return c.redirect('/account', 303);
  });

  app.post('/logout', checked, async (c) => {
    formOf(c); // no fields needed; it asserts the CSRF check ran
    const name = sessionCookieName(c, config);
    const token = getCookie(c, name);
    if (token) await accounts.signOut(token);
    deleteCookie(c, name, { path: '/', secure: secure(c) });
    return c.redirect('/', 303);
  });

  // ------------------------------------------------------------------ account

  const accountPage = async (c: C, p: UserPrincipal, extra: { newKey?: { name: string; key: string }; notice?: string; error?: string } = {}, status: 200 | 400 | 403 = 200) => {
    // The plan buttons POST here and are redirected to Stripe's hosted pages;
    // browsers hold that redirect to the page's form-action (issue 15).
    if (deps.services.billing.enabled) c.header('Content-Security-Policy', pageCsp(c.get('nonce'), STRIPE_HOSTED_PAGES));
    const owned = await store.data.addresses.listForOwner(p.user.id);
    const counts = await Promise.all(owned.map((a) => store.reader.count(a.address)));
    return c.html(
      <AccountPage
        nonce={c.get('nonce')}
        csrf={csrf.token(c)}
        user={p.user}
        keys={await accounts.listKeys(p.user.id)}
        addresses={owned.map((a, i) => ({ ...a, messages: counts[i]! }))}
        domains={config.domains}
        ownDomains={(await store.data.domains.listForOwner(p.user.id)).map((d) => ({ ...d, txt: DomainService.txtValue(d) }))}
        mxHost={deps.services.domains.mxHosts()[0] ?? "this Mailroom's host name"}
        apiBase={apiBase()}
        webhookSecret={await store.data.webhooks.secretFor(p.user.id)}
        billing={await billingProps(p.user)}
        {...extra}
      />,
      status,
    );
  };

  app.get('/account', requireUser, (c) => accountPage(c, me(c)));

  // ------------------------------------------------------------------ billing (issue 15)

  const billing = deps.services.billing;
  async function billingProps(u: User) {
    if (!billing.enabled) return undefined;
    const s = await billing.summary(u);
    const usage = await store.reader.usage({ kind: 'owner', userId: u.id });
    const counts = { addresses: await store.data.addresses.countForOwner(u.id), domains: (await store.data.domains.listForOwner(u.id)).length, captured: await store.data.captureUsage.used(u.id, Date.now()) };
    return { ...s, plans: billing.plans, freeAddresses: config.billing.free.privateAddresses, usage: { ...counts, ...usage } };
  }
  /** Where Stripe sends the browser back: the public URL when set, else the origin this request came to. */
  const siteBase = (c: C) => config.http.publicUrl || new URL(c.req.url).origin;
  const billingOff = (c: C) => c.text('Billing is not set up on this Mailroom.', 404);

  app.post('/account/billing/checkout', requireUser, checked, async (c) => {
    if (!billing.enabled) return billingOff(c);
    const p = me(c);
    const f = formOf(c);
    const base = siteBase(c);
    const r = await billing.checkout(p.user, f.price ?? '', { success: `${base}/account?billing=done#billing`, cancel: `${base}/account#billing` });
    if (!r.ok) return accountPage(c, p, { error: r.reason === 'unknown-price' ? 'That plan is not offered here.' : 'Stripe did not start a checkout; try again.' }, 400);
    return c.redirect(r.value, 303);
  });

  app.post('/account/billing/portal', requireUser, checked, async (c) => {
    if (!billing.enabled) return billingOff(c);
    const p = me(c);
    const r = await billing.portal(p.user, `${siteBase(c)}/account#billing`);
    if (!r.ok) return accountPage(c, p, { error: 'There is no billing account yet: subscribe to a plan first.' }, 400);
    return c.redirect(r.value, 303);
  });

  // Ends every session of this user, on every device (a lost laptop, a shared
  // computer): the sessions table holds only hashes, so revoking is a delete.
  app.post('/account/sessions/revoke', requireUser, checked, async (c) => {
    const p = me(c);
    formOf(c); // no fields needed; it asserts the CSRF check ran
    await accounts.signOutEverywhere(p.user.id);
    deleteCookie(c, sessionCookieName(c, config), { path: '/', secure: secure(c) });
    return c.redirect('/login', 303);
  });

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

  // ------------------------------------------------------------------ your domains (issue 12)

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

  // ------------------------------------------------------------------ your mail

  // The account's inboxes and the mail it captured (issue 12), with readerFor(p) so nobody else's captured mail shows.
  const scopeOf = (p: UserPrincipal): Scope => (isAdmin(p) ? { kind: 'all' } : { kind: 'account', userId: p.user.id });
  // Ids to messages through the reader, dropping any deleted meanwhile.
  const load = async (ids: string[]) => (await Promise.all(ids.map((id) => store.reader.get(id)))).filter((m): m is MessageView => m !== null);

  app.get('/account/mail', requireUser, async (c) => {
    const p = me(c);
    const folder = (FOLDERS as readonly string[]).includes(c.req.query('folder') ?? '') ? c.req.query('folder')! : '';
    const starredOnly = c.req.query('starred') === '1';
    const messages = starredOnly
      ? await deps.services.inboxes.starred(p, { limit: 100 })
      : await load(await store.reader.listIds(scopeOf(p), { limit: 100, folder: folder || undefined, reader: readerFor(p) }));
    return c.html(<MailPage nonce={c.get('nonce')} csrf={csrf.token(c)} messages={messages} folder={folder} starredOnly={starredOnly} />);
  });

  /** A message of an inbox this user manages (owner or admin): the UI edits only owned mail. */
  const ownMessage = async (c: C, p: UserPrincipal): Promise<MessageView | null> => {
    const a = canonicalAddress(c.req.param('address') ?? '');
    if (!a || !(await inboxAccess(deps, a.inbox, p)).manage) return null;
    return store.reader.getInInbox(a.inbox, c.req.param('id') ?? '');
  };
  const back = (c: C) => c.redirect('/account/mail', 303);

  app.post('/account/mail/:address/:id/:action{star|folder|labels}', requireUser, checked, async (c) => {
    const p = me(c);
    const f = formOf(c);
    const m = await ownMessage(c, p);
    if (!m) return c.text('Not found', 404);
    const action = c.req.param('action');
    const inboxes = deps.services.inboxes;
    if (action === 'star') {
      if (!(await inboxes.toggleStar(p, m)).ok) return c.text('Not found', 404);
    } else if (action === 'folder') {
      const r = await inboxes.setFolder(p, m, f.folder ?? '');
      if (!r.ok) return r.reason === 'forbidden' ? c.text('Not found', 404) : c.text('Unknown folder', 400);
    } else {
      // A message already at the label limit keeps its labels; the page shows them as they are.
      const r = await inboxes.addLabel(p, m, f.label ?? '');
      if (!r.ok && r.reason === 'forbidden') return c.text('Not found', 404);
      if (!r.ok && r.reason === 'bad-label') return c.text(`A label is 1 to ${MAX_LABEL} characters`, 400);
    }
    return back(c);
  });

  app.post('/account/mail/:address/:id/labels/remove', requireUser, checked, async (c) => {
    const p = me(c);
    const f = formOf(c);
    const m = await ownMessage(c, p);
    if (!m) return c.text('Not found', 404);
    if (!(await deps.services.inboxes.removeLabel(p, m, f.label ?? '')).ok) return c.text('Not found', 404);
    return back(c);
  });

  // ------------------------------------------------------------------ search

  app.get('/search', async (c) => {
    const p = principalFrom(c);
    const query = (c.req.query('q') ?? '').slice(0, 500);
    const inboxParam = (c.req.query('inbox') ?? '').trim();
    const page = (results: MessageView[] | null, error?: string, status: 200 | 400 | 403 = 200) =>
      c.html(<SearchPage nonce={c.get('nonce')} query={query} inbox={inboxParam} signedIn={p.kind === 'user'} results={results} error={error} />, status);
    let scope: Scope;
    if (inboxParam) {
      const a = canonicalAddress(inboxParam);
      if (!a) return page(null, 'That inbox is not an email address.', 400);
      // Private and not yours: the same answer as a private inbox page.
      if (!(await inboxAccess(deps, a.inbox, p)).read) return page(null, 'This inbox is private.', 403);
      scope = { kind: 'inbox', inbox: a.inbox };
    } else if (p.kind === 'user') {
      scope = scopeOf(p);
    } else {
      return page(null, query ? 'Give an inbox to search, or sign in to search your addresses.' : undefined);
    }
    if (!searchableInput(query)) return page(null, 'Search words cannot contain control characters.', 400);
    if (!query.trim()) return page(null);
    return page(await load(await store.reader.search(scope, query, { limit: 100, reader: readerFor(p) })));
  });

  return app;
}
