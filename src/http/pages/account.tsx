// Account pages (issue 3): sign in with a password and one session cookie,
// manage API keys and private addresses, search the inboxes one may read,
// and star, label and file one's own mail. Server-rendered, no inline
// scripts; every POST carries a CSRF token and is checked against Origin
// (bad-input 63); GET never changes anything.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { Csrf } from '../middleware/csrf.js';
import { canonicalAddress } from '../../policy/address.js';
import type { MessageView } from '../../store/messages.js';
import type { Scope } from '../../store/message-queries.js';
import { USERNAME } from '../../store/users.js';
import { ADMIN_USERNAME, isAdmin, principalFrom, sessionCookieName, sessionTtlMs, type Principal } from '../middleware/principal.js';
import { canReadInbox, inboxAccess, isReservedInbox } from '../../policy/inbox-access.js';
import { parseForwarding } from '../../policy/forwarding.js';
import { FOLDERS, MAX_LABEL } from '../../services/inboxes.js';
import { limiterFor, loginThrottleFor } from '../middleware/rate-limit.js';
import { knownDevicesFor } from '../middleware/known-device.js';
import { clientIp } from '../middleware/client-ip.js';
import { audit, auditPrivateRead } from '../audit.js';
import { LoginPage } from '../views/account/login.js';
import { AccountPage } from '../views/account/account.js';
import { webhookSecretFor } from '../../store/webhooks.js';
import { MailPage, PrivateInboxPage, SearchPage } from '../views/account/search.js';

type C = Context<AppEnv>;
type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** Names nobody may register: they would look like the operator. */
const RESERVED_NAMES = new Set([ADMIN_USERNAME, 'administrator', 'root', 'postmaster', 'mailroom', 'system']);


export function accountRoutes(deps: WebDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { store, config } = deps;
  const csrf = new Csrf({ publicUrl: config.http.publicUrl });
  const loginThrottle = loginThrottleFor(store);
  const knownDevices = knownDevicesFor(store, config);
  const apiBase = () => (config.http.publicUrl ? `${config.http.publicUrl}/api` : '/api');

  const secure = (c: C) => new URL(c.req.url).protocol === 'https:' || config.http.publicUrl.startsWith('https:');

  /** Form fields of a POST, after the CSRF and Origin check; null when refused. */
  const form = async (c: C): Promise<Record<string, string> | null> => {
    const body = await c.req.parseBody();
    const check = csrf.verify(c, body['csrf']);
    if (!check.ok) return null;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
    return out;
  };
  const refused = (c: C) => c.text('This form has expired or came from another site. Go back, reload the page and try again.', 403);

  const user = (c: C): UserPrincipal | null => {
    const p = principalFrom(c, deps);
    return p.kind === 'user' ? p : null;
  };

  const startSession = (c: C, userId: number) => {
    const token = store.sessions.create(userId, sessionTtlMs(config));
    setCookie(c, sessionCookieName(c, config), token, {
      path: '/',
      httpOnly: true,
      sameSite: 'Lax',
      secure: secure(c),
      maxAge: Math.floor(sessionTtlMs(config) / 1000),
    });
  };

  // Every page under /inbox/{address} (the inbox, its messages, bodies,
  // attachments, raw source, events) is refused here, before any page
  // handler runs, when the reader may not read that inbox: a page that
  // forgets its own check still cannot leak a private inbox. Same answer for
  // no login, another user, or a bad key (bad-input 61).
  const inboxGuard = async (c: C, next: () => Promise<void>) => {
    const a = canonicalAddress(c.req.param('address') ?? '');
    // Reserved local parts (postmaster, abuse, ...) have their own page in ui/routes.tsx.
    if (a && !isReservedInbox(config, a.inbox) && !canReadInbox(deps, a.inbox, principalFrom(c, deps))) {
      return c.html(<PrivateInboxPage nonce={c.get('nonce')} signedIn={user(c) !== null} />, 403);
    }
    // An admin reading someone else's private inbox is recorded (issue 4): the
    // inbox and message pages, raw source and attachments; not the iframe body
    // and inline images a message page loads with it.
    if (a && !/\/(html|cid\/[^/]*)$/.test(c.req.path)) {
      const seg = c.req.path.split('/');
      auditPrivateRead(c, deps, principalFrom(c, deps), a.inbox, seg[3] && /^[A-Za-z0-9_-]{1,64}$/.test(seg[3]) ? seg[3] : undefined);
    }
    await next();
  };
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

  app.post('/login', async (c) => {
    const f = await form(c);
    if (!f) return refused(c);
    // Throttled per account and client, per client and per account, with
    // growing delays and no hard lockout; a browser that signed in to this
    // account before is let through (issue 13, rate-limit.ts LoginThrottle).
    const name = (f.username ?? '').slice(0, 64);
    const attempt = {
      account: name.toLowerCase(),
      client: clientIp(c, config.http.trustedProxies) || 'unknown',
      device: knownDevices.deviceFor(c, store.users.byName(name)?.id),
    };
    const wait = loginThrottle.retryAfterSeconds(attempt);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      return loginPage(c, 'login', `Too many failed sign-ins. Wait ${wait < 60 ? `${wait} seconds` : `${Math.ceil(wait / 60)} minutes`} and try again.`, f.username, 429);
    }
    const u = await store.users.checkPassword(name, (f.password ?? '').slice(0, 1024));
    if (!u) {
      loginThrottle.failed(attempt);
      return loginPage(c, 'login', 'That user name and password do not match.', f.username, 401);
    }
    loginThrottle.succeeded(attempt);
    knownDevices.remember(c, u.id);
    startSession(c, u.id);
    // Login records (privacy.loginRecordDays): who and when, and from where when IP storage is on.
    audit(c, deps, { kind: 'user', user: u, via: 'session' }, 'login', u.username);
    return c.redirect('/account', 303);
  });

  app.get('/register', (c) => {
    if (!config.auth.registration) return c.text('Registration is turned off on this Mailroom.', 404);
    return loginPage(c, 'register');
  });

  app.post('/register', async (c) => {
    if (!config.auth.registration) return c.text('Registration is turned off on this Mailroom.', 404);
    const f = await form(c);
    if (!f) return refused(c);
    const name = (f.username ?? '').trim();
    const pw = f.password ?? '';
    if (!USERNAME.test(name) || RESERVED_NAMES.has(name.toLowerCase())) return loginPage(c, 'register', 'Choose another user name: letters, digits, ".", "_" or "-".', name, 400);
    if (pw.length < 10 || pw.length > 1024) return loginPage(c, 'register', 'Passwords are at least 10 characters.', name, 400);
    if (store.users.byName(name)) return loginPage(c, 'register', 'That user name is taken.', name, 400);
    const u = await store.users.create({ username: name, password: pw, role: 'user' });
    startSession(c, u.id);
    return c.redirect('/account', 303);
  });

  app.post('/logout', async (c) => {
    const f = await form(c);
    if (!f) return refused(c);
    const name = sessionCookieName(c, config);
    const token = getCookie(c, name);
    if (token) store.sessions.remove(token);
    deleteCookie(c, name, { path: '/', secure: secure(c) });
    return c.redirect('/', 303);
  });

  // ------------------------------------------------------------------ account

  const accountPage = (c: C, p: UserPrincipal, extra: { newKey?: { name: string; key: string }; notice?: string; error?: string } = {}, status: 200 | 400 | 403 = 200) =>
    c.html(
      <AccountPage
        nonce={c.get('nonce')}
        csrf={csrf.token(c)}
        user={p.user}
        keys={store.keys.listForUser(p.user.id)}
        addresses={store.addresses.listForOwner(p.user.id).map((a) => ({ ...a, messages: store.messages.count(a.address) }))}
        domains={config.domains}
        apiBase={apiBase()}
        webhookSecret={webhookSecretFor(store.db, p.user.id)}
        {...extra}
      />,
      status,
    );

  /** Pages below need a signed-in user; everyone else goes to the login page. */
  const signedIn = (c: C): UserPrincipal | Response => user(c) ?? c.redirect('/login', 303);

  app.get('/account', (c) => {
    const p = signedIn(c);
    return p instanceof Response ? p : accountPage(c, p);
  });

  // Ends every session of this user, on every device (a lost laptop, a shared
  // computer): the sessions table holds only hashes, so revoking is a delete.
  app.post('/account/sessions/revoke', async (c) => {
    const p = signedIn(c);
    if (p instanceof Response) return p;
    const f = await form(c);
    if (!f) return refused(c);
    store.sessions.removeForUser(p.user.id);
    deleteCookie(c, sessionCookieName(c, config), { path: '/', secure: secure(c) });
    return c.redirect('/login', 303);
  });

  app.post('/account/keys', async (c) => {
    const p = signedIn(c);
    if (p instanceof Response) return p;
    const f = await form(c);
    if (!f) return refused(c);
    const name = (f.name ?? '').trim().slice(0, 100);
    const { key, record } = store.keys.create(p.user.id, name);
    audit(c, deps, p, 'key-create', p.user.username, { keyId: record.id, name });
    // Rendered, not redirected: the key must never sit in a URL or history.
    return accountPage(c, p, { newKey: { name, key } });
  });

  app.post('/account/keys/:id/revoke', async (c) => {
    const p = signedIn(c);
    if (p instanceof Response) return p;
    const f = await form(c);
    if (!f) return refused(c);
    const k = store.keys.byId(Number(c.req.param('id')));
    if (!k || k.userId !== p.user.id) return accountPage(c, p, { error: 'No such key.' }, 400);
    store.keys.revoke(k.id);
    return c.redirect('/account', 303);
  });

  app.post('/account/addresses', async (c) => {
    const p = signedIn(c);
    if (p instanceof Response) return p;
    const f = await form(c);
    if (!f) return refused(c);
    const a = canonicalAddress(f.address ?? '');
    if (!a) return accountPage(c, p, { error: 'That is not an email address.' }, 400);
    const r = await deps.services.addresses.reserve(p.user.id, a);
    if (!r.ok) {
      const error = {
        'foreign-domain': `Mailroom receives mail only for ${config.domains.join(', ')}.`,
        'reserved-local-part': 'That local part is reserved for the operator.',
        'already-yours': `${a.inbox} is already yours.`,
        taken: `${a.inbox} is not available.`,
      }[r.reason];
      return accountPage(c, p, { error }, 400);
    }
    return accountPage(c, p, { notice: `${a.inbox} is now private to you.` });
  });

  /** The address in the path, if it is this user's (admins: anyone's). */
  const ownedTarget = (c: C, p: UserPrincipal) => {
    const a = canonicalAddress(c.req.param('address') ?? '');
    const owned = a ? store.addresses.get(a.inbox) : null;
    return owned && (owned.ownerId === p.user.id || isAdmin(p)) ? owned : null;
  };

  app.post('/account/addresses/:address', async (c) => {
    const p = signedIn(c);
    if (p instanceof Response) return p;
    const f = await form(c);
    if (!f) return refused(c);
    const owned = ownedTarget(c, p);
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

  app.post('/account/addresses/:address/release', async (c) => {
    const p = signedIn(c);
    if (p instanceof Response) return p;
    const f = await form(c);
    if (!f) return refused(c);
    const owned = ownedTarget(c, p);
    if (!owned) return accountPage(c, p, { error: 'That address is not yours.' }, 403);
    const { wiped: wipe } = await deps.services.addresses.release(owned.address, { deleteMessages: f.deleteMessages === 'true' });
    return accountPage(c, p, { notice: wipe ? `${owned.address} released; its messages were deleted.` : `${owned.address} released: it is public again, with its mail.` });
  });

  // ------------------------------------------------------------------ your mail

  const scopeOf = (p: UserPrincipal): Scope => (isAdmin(p) ? { kind: 'all' } : { kind: 'owner', userId: p.user.id });
  const load = (ids: string[]) => ids.map((id) => store.messages.get(id)).filter((m): m is MessageView => m !== null);

  app.get('/account/mail', (c) => {
    const p = signedIn(c);
    if (p instanceof Response) return p;
    const folder = (FOLDERS as readonly string[]).includes(c.req.query('folder') ?? '') ? c.req.query('folder')! : '';
    const starredOnly = c.req.query('starred') === '1';
    const ids = starredOnly
      ? store.queries.starred(scopeOf(p), isAdmin(p) ? null : p.user.id, { limit: 100 })
      : store.queries.list(scopeOf(p), { limit: 100, folder: folder || undefined });
    return c.html(<MailPage nonce={c.get('nonce')} csrf={csrf.token(c)} messages={load(ids)} folder={folder} starredOnly={starredOnly} />);
  });

  /** A message of an inbox this user manages (owner or admin): the UI edits only owned mail. */
  const ownMessage = (c: C, p: UserPrincipal): MessageView | null => {
    const a = canonicalAddress(c.req.param('address') ?? '');
    if (!a || !inboxAccess(deps, a.inbox, p).manage) return null;
    return store.messages.getInInbox(a.inbox, c.req.param('id') ?? '');
  };
  const back = (c: C) => c.redirect('/account/mail', 303);

  app.post('/account/mail/:address/:id/:action{star|folder|labels}', async (c) => {
    const p = signedIn(c);
    if (p instanceof Response) return p;
    const f = await form(c);
    if (!f) return refused(c);
    const m = ownMessage(c, p);
    if (!m) return c.text('Not found', 404);
    const action = c.req.param('action');
    const inboxes = deps.services.inboxes;
    if (action === 'star') {
      await inboxes.toggleStar(m, p.user.id);
    } else if (action === 'folder') {
      if (!(await inboxes.setFolder(m, f.folder ?? '')).ok) return c.text('Unknown folder', 400);
    } else {
      // A message already at the label limit keeps its labels; the page shows them as they are.
      const r = await inboxes.addLabel(m, f.label ?? '');
      if (!r.ok && r.reason === 'bad-label') return c.text(`A label is 1 to ${MAX_LABEL} characters`, 400);
    }
    return back(c);
  });

  app.post('/account/mail/:address/:id/labels/remove', async (c) => {
    const p = signedIn(c);
    if (p instanceof Response) return p;
    const f = await form(c);
    if (!f) return refused(c);
    const m = ownMessage(c, p);
    if (!m) return c.text('Not found', 404);
    await deps.services.inboxes.removeLabel(m, f.label ?? '');
    return back(c);
  });

  // ------------------------------------------------------------------ search

  app.get('/search', (c) => {
    const p = principalFrom(c, deps);
    const query = (c.req.query('q') ?? '').slice(0, 500);
    const inboxParam = (c.req.query('inbox') ?? '').trim();
    const page = (results: MessageView[] | null, error?: string, status: 200 | 400 | 403 = 200) =>
      c.html(<SearchPage nonce={c.get('nonce')} query={query} inbox={inboxParam} signedIn={p.kind === 'user'} results={results} error={error} />, status);
    let scope: Scope;
    if (inboxParam) {
      const a = canonicalAddress(inboxParam);
      if (!a) return page(null, 'That inbox is not an email address.', 400);
      // Private and not yours: the same answer as a private inbox page.
      if (!inboxAccess(deps, a.inbox, p).read) return page(null, 'This inbox is private.', 403);
      scope = { kind: 'inbox', inbox: a.inbox };
    } else if (p.kind === 'user') {
      scope = isAdmin(p) ? { kind: 'all' } : { kind: 'owner', userId: p.user.id };
    } else {
      return page(null, query ? 'Give an inbox to search, or sign in to search your addresses.' : undefined);
    }
    if (!query.trim()) return page(null);
    return page(load(store.queries.search(scope, query, { limit: 100 })));
  });

  return app;
}
