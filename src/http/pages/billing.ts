// Billing forms of the account page (issue 15): the plan buttons start a
// Stripe Checkout, "Manage billing" opens Stripe's customer portal; both
// answer with a redirect to Stripe's hosted page. The plan box itself is part
// of the account page's render (account-shared.tsx).
import type { Hono } from 'hono';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { formOf } from '../middleware/csrf.js';
import type { AccountShared, C } from './account-shared.js';

export function registerBillingPages(app: Hono<AppEnv>, deps: WebDeps, { checked, requireUser, me, accountPage }: AccountShared): void {
  const config = deps.config;
  const billing = deps.services.billing;
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
}
