// The account page's billing section in a real Chromium (issue 15, "Done
// means"): the plan and its use are shown, "Subscribe" goes through the
// server (a Checkout Session created on the stand-in Stripe) to Checkout's
// URL: Stripe's hosts resolve, in this browser only, to a local HTTPS page,
// so nothing leaves the machine and each navigation ends on a loaded page
// (a network-error page would race the test's next goto), and after the webhook
// the page shows the plan and opens the customer portal the same way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { generate } from 'selfsigned';
import { startTestMailroom } from '../helpers/mailroom.js';
import { StripeStandIn, signedEvent } from '../helpers/stripe-standin.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WHSEC = 'whsec_browser_test_secret';

/** Stands in for Stripe's hosted pages: every request is answered with a small page; top-level navigations' URLs are kept. */
async function hostedPagesStandIn(): Promise<{ server: Server; port: number; visited: string[] }> {
  const pems = await generate([{ name: 'commonName', value: 'stripe.com' }], { keySize: 2048, algorithm: 'sha256' });
  const visited: string[] = [];
  const server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    if (req.headers['sec-fetch-mode'] === 'navigate') visited.push(`https://${req.headers.host}${req.url}`);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<title>Stripe stand-in</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, visited };
}

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
  const hosted = await hostedPagesStandIn();
  let browser: Browser | null = null;
  try {
    const user = await m.store.users.create({ username: 'shopper', password: 'shopper-password-1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', `--host-resolver-rules=MAP *.stripe.com 127.0.0.1:${hosted.port}`, '--ignore-certificate-errors'],
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    // The top-level navigations to Stripe's hosted pages, in order (the account page's CSP form-action must allow them).
    const stripePages = hosted.visited;
    const toStripe = (host: string) => page.waitForURL((url) => url.host === host, { waitUntil: 'load' });
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
    hosted.server.close();
    await m.cleanup();
    await stripe.close();
  }
});

test.run();
