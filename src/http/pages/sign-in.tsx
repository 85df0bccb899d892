// Sessions (issue 3): sign in with a password, register when the operator
// allows it, sign out, and sign out everywhere. One session cookie, HttpOnly
// and Lax; the sessions table holds only hashes of their tokens.
import type { Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { formOf } from '../middleware/csrf.js';
import { sessionCookieName } from '../middleware/principal.js';
import { loginThrottleFor } from '../middleware/rate-limit.js';
import { knownDevicesFor } from '../middleware/known-device.js';
import { clientIp } from '../middleware/client-ip.js';
import { audit } from '../audit.js';
import { LoginPage } from '../views/account/login.js';
import type { AccountShared, C } from './account-shared.js';

/** Cookies carry Secure when the request came over TLS or the published URL is https. */
const secure = (c: C, publicUrl: string) => new URL(c.req.url).protocol === 'https:' || publicUrl.startsWith('https:');

export function registerSignInPages(app: Hono<AppEnv>, deps: WebDeps, { csrf, checked, user }: AccountShared): void {
  const { store, config } = deps;
  const accounts = deps.services.accounts;
  const loginThrottle = loginThrottleFor(store);
  const knownDevices = knownDevicesFor(store, config);

  const startSession = async (c: C, userId: number) => {
    const token = await accounts.startSession(userId);
    setCookie(c, sessionCookieName(c, config), token, {
      path: '/',
      httpOnly: true,
      sameSite: 'Lax',
      secure: secure(c, config.http.publicUrl),
      maxAge: Math.floor(accounts.sessionTtlMs() / 1000),
    });
  };

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
    deleteCookie(c, name, { path: '/', secure: secure(c, config.http.publicUrl) });
    return c.redirect('/', 303);
  });
}

/**
 * Ends every session of this user, on every device (a lost laptop, a shared
 * computer): the sessions table holds only hashes, so revoking is a delete.
 * Registered after the billing forms, where the account page's routes had it.
 */
export function registerSessionPages(app: Hono<AppEnv>, deps: WebDeps, { checked, requireUser, me }: AccountShared): void {
  const config = deps.config;
  app.post('/account/sessions/revoke', requireUser, checked, async (c) => {
    const p = me(c);
    formOf(c); // no fields needed; it asserts the CSRF check ran
    await deps.services.accounts.signOutEverywhere(p.user.id);
    deleteCookie(c, sessionCookieName(c, config), { path: '/', secure: secure(c, config.http.publicUrl) });
    return c.redirect('/login', 303);
  });
}
