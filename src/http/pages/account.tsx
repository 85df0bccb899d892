// Account pages (issue 3): sign in with a password and one session cookie,
// manage API keys and private addresses, search the inboxes one may read,
// and star, label and file one's own mail. Server-rendered, no inline
// scripts; every POST carries a CSRF token and is checked against Origin
// (bad-input 63); GET never changes anything.
//
// accountRoutes mounts the request plumbing these pages need (the inbox
// guard, the form size limit), then each resource's routes from its own file,
// in this order; this file holds the account page itself.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import type { Csrf } from '../middleware/csrf.js';
import { pageInboxGuard } from '../middleware/inbox-guard.js';
import { PrivateInboxPage } from '../views/account/search.js';
import { accountShared, type AccountShared } from './account-shared.js';
import { registerSessionPages, registerSignInPages } from './sign-in.js';
import { registerBillingPages } from './billing.js';
import { registerKeyPages } from './keys.js';
import { registerAddressPages } from './addresses.js';
import { registerDomainPages } from './domains.js';
import { registerMailPages } from './mail.js';
import { registerSearchPages } from './search.js';

export function accountRoutes(deps: WebDeps, csrf: Csrf): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const shared = accountShared(deps, csrf);

  // Every page under /inbox/{address} (the inbox, its messages, bodies,
  // attachments, raw source, events) is refused here, before any page
  // handler runs, when the reader may not read that inbox: a page that
  // forgets its own check still cannot leak a private inbox. Same answer for
  // no login, another user, or a bad key (bad-input 61).
  const inboxGuard = pageInboxGuard(deps, (c) => c.html(<PrivateInboxPage nonce={c.get('nonce')} signedIn={shared.user(c) !== null} />, 403));
  app.use('/inbox/:address', inboxGuard);
  app.use('/inbox/:address/*', inboxGuard);

  // Forms are small; nothing here takes more.
  const formLimit = bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('Request too large', 413) });
  for (const path of ['/login', '/register', '/logout', '/account/*']) app.use(path, formLimit);

  registerSignInPages(app, deps, shared);
  registerAccountPages(app, deps, shared);
  registerBillingPages(app, deps, shared);
  registerSessionPages(app, deps, shared);
  registerKeyPages(app, deps, shared);
  registerAddressPages(app, deps, shared);
  registerDomainPages(app, deps, shared);
  registerMailPages(app, deps, shared);
  registerSearchPages(app, deps, shared);
  return app;
}

/** The account page: keys, addresses, domains, plan, data rights (its render is accountPage, account-shared.tsx). */
export function registerAccountPages(app: Hono<AppEnv>, _deps: WebDeps, { requireUser, me, accountPage }: AccountShared): void {
  app.get('/account', requireUser, (c) => accountPage(c, me(c)));
}
