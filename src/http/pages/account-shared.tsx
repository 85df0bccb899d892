// What the account page groups share (sign-in.tsx, account.tsx, billing.ts,
// keys.ts, addresses.ts, domains.ts, mail.tsx, search.tsx): the CSRF and
// Origin guard of their forms, who is signed in, the redirect of anonymous
// visitors to the login page, and the account page's render, which most
// account forms answer with (a notice or an error above the whole page).
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { Csrf, csrfForm } from '../middleware/csrf.js';
import { isAdmin, principalFrom, type Principal } from '../middleware/principal.js';
import type { MessageView } from '../../store/messages.js';
import type { Scope } from '../../store/message-queries.js';
import { DomainService } from '../../services/domains.js';
import { STRIPE_HOSTED_PAGES } from '../../services/billing.js';
import { pageCsp } from '../middleware/security-headers.js';
import { AccountPage } from '../views/account/account.js';
import type { User } from '../../store/users.js';

export type C = Context<AppEnv>;
export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

export interface AccountPageExtra {
  newKey?: { name: string; key: string };
  notice?: string;
  error?: string;
}

export interface AccountShared {
  csrf: Csrf;
  /** POSTs: the CSRF and Origin check, then the form in c.var.form (middleware/csrf.ts). */
  checked: MiddlewareHandler<AppEnv>;
  /** The signed-in user, or null. */
  user(c: C): UserPrincipal | null;
  /** Pages that need a signed-in user; everyone else goes to the login page. */
  requireUser: MiddlewareHandler<AppEnv>;
  /** The user, behind requireUser. */
  me(c: C): UserPrincipal;
  /** The account page, with what a form changed or refused. */
  accountPage(c: C, p: UserPrincipal, extra?: AccountPageExtra, status?: 200 | 400 | 403): Promise<Response>;
  /** The mail a user's lists and search cover: the account's inboxes and the mail it captured (issue 12); admins: all. */
  scopeOf(p: UserPrincipal): Scope;
  /** Ids to messages through the reader, dropping any deleted meanwhile. */
  load(ids: string[]): Promise<MessageView[]>;
}

export function accountShared(deps: WebDeps, csrf: Csrf): AccountShared {
  const { store, config } = deps;
  const accounts = deps.services.accounts;
  const billing = deps.services.billing;
  const apiBase = () => (config.http.publicUrl ? `${config.http.publicUrl}/api` : '/api');

  const refused = (c: C) => c.text('This form has expired or came from another site. Go back, reload the page and try again.', 403);

  const user = (c: C): UserPrincipal | null => {
    const p = principalFrom(c);
    return p.kind === 'user' ? p : null;
  };
  const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!user(c)) return c.redirect('/login', 303);
    await next();
  };

  /** The plan and usage box of the account page (issue 15); absent when billing is off. */
  async function billingProps(u: User) {
    if (!billing.enabled) return undefined;
    const s = await billing.summary(u);
    const usage = await store.reader.usage({ kind: 'owner', userId: u.id });
    const counts = { addresses: await store.data.addresses.countForOwner(u.id), domains: (await store.data.domains.listForOwner(u.id)).length, captured: await store.data.captureUsage.used(u.id, Date.now()) };
    return { ...s, plans: billing.plans, freeAddresses: config.billing.free.privateAddresses, usage: { ...counts, ...usage } };
  }

  const accountPage = async (c: C, p: UserPrincipal, extra: AccountPageExtra = {}, status: 200 | 400 | 403 = 200) => {
    // The plan buttons POST here and are redirected to Stripe's hosted pages;
    // browsers hold that redirect to the page's form-action (issue 15).
    if (billing.enabled) c.header('Content-Security-Policy', pageCsp(c.get('nonce'), STRIPE_HOSTED_PAGES));
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

  return {
    csrf,
    checked: csrfForm(csrf, refused),
    user,
    requireUser,
    me: (c) => user(c)!,
    accountPage,
    // With readerFor(p) at each query, so nobody else's captured mail shows.
    scopeOf: (p) => (isAdmin(p) ? { kind: 'all' } : { kind: 'account', userId: p.user.id }),
    load: async (ids) => (await Promise.all(ids.map((id) => store.reader.get(id)))).filter((m): m is MessageView => m !== null),
  };
}
