// The account page's billing section in a real Chromium (issue 15, "Done
// means"): the plan and its use are shown, "Subscribe" goes through the
// server (a Checkout Session created on the stand-in Stripe) to Checkout's
// URL, captured as the browser asks for it (Stripe's hosts resolve nowhere
// in this browser, so nothing leaves the machine), and after the webhook
// the page shows the plan and opens the customer portal the same way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium, type Browser } from 'playwright-core';
import { startTestMailroom } from '../helpers/mailroom.js';
import { StripeStandIn, signedEvent } from '../helpers/stripe-standin.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WHSEC = 'whsec_browser_test_secret';

test('account page: plan, use, Subscribe -> Stripe Checkout, then Manage billing -> portal', async () => {
  const stripe = await StripeStandIn.start();
  const m = await startTestMailroom({
    billing: {
      stripe: { secretKey: 'sk_test_browser', webhookSecret: WHSEC, apiBase: stripe.base },
      gracePeriodDays: 7,
      free: { privateAddresses: 1, customDomains: 0, captureMessagesPerMonth: 0, storageMessages: 0, retentionDays: 0 },
      plans: [{ price: 'price_team', name: 'Team', privateAddresses: 25, customDomains: 1, captureMessagesPerMonth: 0, storageMessages: 0, retentionDays: 0 }],
    } as never,
  });
  let browser: Browser | null = null;
  try {
    const user = await m.store.users.create({ username: 'shopper', password: 'shopper-password-1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--host-resolver-rules=MAP *.stripe.com ~NOTFOUND'] });
    const context = await browser.newContext();
    const page = await context.newPage();
    // The top-level navigations to Stripe's hosted pages, in order (the account page's CSP form-action must allow them).
    const stripePages: string[] = [];
    const toStripe = (host: string) =>
      page.waitForEvent('request', (r) => r.isNavigationRequest() && new URL(r.url()).host === host).then((r) => {
        stripePages.push(r.url());
      });
    await page.goto(`${m.http}/login`);
    await page.fill('input[name=username]', 'shopper');
    await page.fill('input[name=password]', 'shopper-password-1');
    await Promise.all([page.waitForURL(`${m.http}/account`), page.click('form[action="/login"] button[type=submit]')]);

    assert.is((await page.textContent('#billing-plan'))?.trim(), 'Free');
    assert.match((await page.textContent('#billing-addresses')) ?? '', /0 of 1 reserved/);
    assert.is(await page.locator('form[action="/account/billing/portal"]').count(), 0, 'no portal before there is a customer');

    await Promise.all([toStripe('checkout.stripe.com'), page.click('button:has-text("Subscribe: Team")')]);
    const sessions = stripe.calls('POST /v1/checkout/sessions');
    assert.is(sessions.length, 1);
    assert.is(sessions[0]!.form.mode, 'subscription');
    assert.is(sessions[0]!.form['line_items[0][price]'], 'price_team');
    assert.match(sessions[0]!.form.success_url ?? '', `${m.http}/account`);
    assert.is(stripePages.length, 1);
    assert.match(stripePages[0]!, /^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);

    // Stripe completes the checkout and tells Mailroom.
    const customer = sessions[0]!.form.customer!;
    stripe.subscriptions.set('sub_team', { id: 'sub_team', customer, status: 'active', price: 'price_team', metadata: { mailroom_user: String(user.id) } });
    const e = signedEvent(WHSEC, 'checkout.session.completed', { id: 'cs_x', object: 'checkout.session', client_reference_id: String(user.id), customer, subscription: 'sub_team' });
    assert.is((await fetch(`${m.http}/billing/stripe/webhook`, { method: 'POST', headers: { 'stripe-signature': e.signature }, body: e.body })).status, 200);

    await page.goto(`${m.http}/account`);
    assert.is((await page.textContent('#billing-plan'))?.trim(), 'Team (active)');
    assert.match((await page.textContent('#billing-addresses')) ?? '', /0 of 25 reserved/);
    assert.is(await page.locator('button:has-text("Subscribe: Team")').count(), 0, 'a subscribed account changes plan in the portal');
    await Promise.all([toStripe('billing.stripe.com'), page.click('form[action="/account/billing/portal"] button')]);
    assert.match(stripePages[1]!, /^https:\/\/billing\.stripe\.com\/p\/session\//);
    assert.is(stripe.calls('POST /v1/billing_portal/sessions')[0]!.form.customer, customer);
  } finally {
    await browser?.close();
    await m.cleanup();
    await stripe.close();
  }
});

test.run();
