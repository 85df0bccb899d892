// Billing through Stripe (issue 15), end to end over real HTTP: the real
// stripe client talks to a stand-in Stripe server on 127.0.0.1:0
// (billing.stripe.apiBase), and webhooks are signed with the package's own
// test-header helper and posted to POST /billing/stripe/webhook.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestMailroom } from '../helpers/mailroom.js';
import { StripeStandIn, signedEvent } from '../helpers/stripe-standin.js';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { loadConfig, ConfigError } from '../../src/config.js';
import { UPGRADE_HINT } from '../../src/services/billing.js';
import { exportData } from '../../src/services/data-rights.js';
import { BillingGraceJob } from '../../src/jobs/billing-grace.js';
import { silentLogger } from '../../src/log.js';

const WHSEC = 'whsec_test_secret_for_mailroom';
const ADMIN_KEY = 'admin-key-for-billing-tests-0123456789';
const STARTER = 'price_starter';
const PRO = 'price_pro';
const DAY = 86_400_000;

type Room = Awaited<ReturnType<typeof startTestMailroom>>;

async function billingRoom(stripe: StripeStandIn, extra: Record<string, unknown> = {}): Promise<Room> {
  return startTestMailroom({
    auth: { adminKey: ADMIN_KEY } as never,
    billing: {
      stripe: { secretKey: 'sk_test_mailroom', webhookSecret: WHSEC, apiBase: stripe.base },
      gracePeriodDays: 3,
      free: { privateAddresses: 1, customDomains: 0, captureMessagesPerMonth: 0, storageMessages: 0, retentionDays: 0 },
      plans: [
        { price: STARTER, name: 'Starter', privateAddresses: 3, customDomains: 0, captureMessagesPerMonth: 100, storageMessages: 500, retentionDays: 30 },
        { price: PRO, name: 'Pro', privateAddresses: 10, customDomains: 2, captureMessagesPerMonth: 1000, storageMessages: 5000, retentionDays: 90 },
      ],
    } as never,
    ...extra,
  });
}

/** A signed-in browser: cookies kept, CSRF token read from the last page. */
async function signIn(m: Room, username: string, password = 'billing-password-1') {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let csrf = '';
  const get = async (path: string) => {
    const res = await fetch(`${m.http}${path}`, { headers: { cookie: cookie() }, redirect: 'manual' });
    keep(res);
    const text = await res.text();
    csrf = /name="csrf" value="([^"]+)"/.exec(text)?.[1] ?? csrf;
    return { res, text };
  };
  const post = async (path: string, fields: Record<string, string>) => {
    const res = await fetch(`${m.http}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: cookie(), origin: m.http, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, ...fields }).toString(),
    });
    keep(res);
    const text = await res.text();
    csrf = /name="csrf" value="([^"]+)"/.exec(text)?.[1] ?? csrf;
    return { res, text };
  };
  await get('/login');
  const r = await post('/login', { username, password });
  assert.is(r.res.status, 303, 'signed in');
  return { get, post };
}

async function newUser(m: Room, username: string) {
  const u = await m.store.users.create({ username, password: 'billing-password-1' });
  const { key } = await m.services.accounts.createKey(u.id, 'test');
  return { user: u, key: { 'Mailsac-Key': key } };
}

function deliver(m: Room, type: string, object: Record<string, unknown>, opts: { id?: string; signature?: string | null } = {}) {
  const e = signedEvent(WHSEC, type, object, { id: opts.id });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.signature !== null) headers['stripe-signature'] = opts.signature ?? e.signature;
  return fetch(`${m.http}/billing/stripe/webhook`, { method: 'POST', headers, body: e.body }).then(async (res) => ({ status: res.status, body: await res.text(), id: e.id }));
}

/** Stripe has a subscription for the user; the checkout completes. */
async function subscribe(m: Room, stripe: StripeStandIn, userId: number, price: string, subId = `sub_${userId}_${price}`) {
  const customer = `cus_for_${userId}`;
  stripe.subscriptions.set(subId, { id: subId, customer, status: 'active', price, metadata: { mailroom_user: String(userId) } });
  const r = await deliver(m, 'checkout.session.completed', { id: `cs_${subId}`, object: 'checkout.session', mode: 'subscription', client_reference_id: String(userId), customer, subscription: subId });
  assert.is(r.status, 200, r.body);
  return subId;
}

const reserveApi = (m: Room, key: Record<string, string>, address: string) => fetch(`${m.http}/api/addresses/${address}`, { method: 'POST', headers: key });
const me = async (m: Room, key: Record<string, string>) => (await (await fetch(`${m.http}/api/me`, { headers: key })).json()) as Record<string, unknown>;

test('bad-input 67: webhook: a wrong, missing, stale or tampered signature is 400 and nothing changes', async () => {
  const stripe = await StripeStandIn.start();
  const m = await billingRoom(stripe);
  try {
    const { user } = await newUser(m, 'sigcheck');
    stripe.subscriptions.set('sub_sig', { id: 'sub_sig', customer: 'cus_sig', status: 'active', price: PRO, metadata: { mailroom_user: String(user.id) } });
    const obj = { id: 'sub_sig', object: 'subscription', customer: 'cus_sig', status: 'active', metadata: { mailroom_user: String(user.id) } };
    const forged = signedEvent('whsec_someone_else', 'customer.subscription.created', obj);
    const wrong = await fetch(`${m.http}/billing/stripe/webhook`, { method: 'POST', headers: { 'stripe-signature': forged.signature }, body: forged.body });
    assert.is(wrong.status, 400);
    const missing = await deliver(m, 'customer.subscription.created', obj, { signature: null });
    assert.is(missing.status, 400);
    // Signed right, but the body changed after signing.
    const good = signedEvent(WHSEC, 'customer.subscription.created', obj);
    const tampered = await fetch(`${m.http}/billing/stripe/webhook`, { method: 'POST', headers: { 'stripe-signature': good.signature }, body: good.body.replace('active', 'trialing') });
    assert.is(tampered.status, 400);
    // Signed right, but ten minutes ago: outside Stripe's 300 s tolerance, a replay.
    const stale = signedEvent(WHSEC, 'customer.subscription.created', obj, { signedAt: Math.floor(Date.now() / 1000) - 600 });
    assert.is((await fetch(`${m.http}/billing/stripe/webhook`, { method: 'POST', headers: { 'stripe-signature': stale.signature }, body: stale.body })).status, 400);
    assert.is(m.store.billing.eventCount(), 0);
    assert.equal(m.store.billing.subscriptionsOf(user.id), []);
    assert.is(stripe.calls('GET /v1/subscriptions/*').length, 0, 'nothing was fetched for an unverified event');
  } finally {
    await m.cleanup();
    await stripe.close();
  }
});

test('purchase: Checkout from the account page, checkout completed, the plan grants addresses; beyond it reserving is refused with the upgrade words (UI and API)', async () => {
  const stripe = await StripeStandIn.start();
  const m = await billingRoom(stripe);
  try {
    const { user, key } = await newUser(m, 'buyer');
    const browser = await signIn(m, 'buyer');
    let page = await browser.get('/account');
    assert.match(page.text, 'id="billing-plan">Free');
    assert.match(page.text, /0 of 1 reserved/);

    // Checkout: a Checkout Session in subscription mode, created through the stripe client, and a redirect to it.
    const co = await browser.post('/account/billing/checkout', { price: STARTER });
    assert.is(co.res.status, 303);
    assert.match(co.res.headers.get('location') ?? '', /^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const created = stripe.calls('POST /v1/checkout/sessions');
    assert.is(created.length, 1);
    assert.is(created[0]!.form.mode, 'subscription');
    assert.is(created[0]!.form['line_items[0][price]'], STARTER);
    assert.is(created[0]!.form.client_reference_id, String(user.id));
    assert.is(created[0]!.authorization, 'Bearer sk_test_mailroom');
    assert.is(stripe.calls('POST /v1/customers').length, 1, 'the customer was created first');
    assert.is(m.store.billing.customerOf(user.id)?.customerId, created[0]!.form.customer);
    // An unknown price is refused without asking Stripe.
    assert.is((await browser.post('/account/billing/checkout', { price: 'price_not_offered' })).res.status, 400);
    assert.is(stripe.calls('POST /v1/checkout/sessions').length, 1);

    // Before paying: the free grant (1).
    assert.is((await me(m, key)).privateAddressCredits, 1);

    await subscribe(m, stripe, user.id, STARTER);
    assert.is((await me(m, key)).privateAddressCredits, 3);
    page = await browser.get('/account');
    assert.match(page.text, 'id="billing-plan">Starter (active)');

    for (const a of ['b1', 'b2', 'b3']) assert.is((await reserveApi(m, key, `${a}@mailroom.test`)).status, 200);
    assert.is((await me(m, key)).privateAddressCredits, 0);
    // 402 Payment Required: a bigger plan lifts it (plan-limit.ts); Mailsac's error body, its credit field filled.
    const over = await reserveApi(m, key, 'b4@mailroom.test');
    assert.is(over.status, 402);
    assert.equal(await over.json(), { status: 402, error: 'Payment Required', message: UPGRADE_HINT, privateAddressCredits: 0, privateAddresses: 3 });
    const bulk = await fetch(`${m.http}/api/private-addresses-bulk`, { method: 'POST', headers: { ...key, 'content-type': 'application/json' }, body: JSON.stringify({ addresses: ['b7@mailroom.test'] }) });
    assert.is(bulk.status, 402);
    assert.equal(await bulk.json(), { status: 402, error: 'Payment Required', message: `b7@mailroom.test: ${UPGRADE_HINT}`, privateAddressCredits: 0, privateAddresses: 3 });
    const ui = await browser.post('/account/addresses', { address: 'b5@mailroom.test' });
    assert.is(ui.res.status, 400);
    assert.ok(ui.text.includes(UPGRADE_HINT.replace(/'/g, '&#39;')) || ui.text.includes(UPGRADE_HINT), 'the page says how to upgrade');
    assert.is(m.store.addresses.ownerOf('b4@mailroom.test'), null);
    assert.is(m.store.addresses.ownerOf('b5@mailroom.test'), null);
    page = await browser.get('/account');
    assert.match(page.text, /3 of 3 reserved/);

    // The portal: a billing portal session for the account's customer.
    const portal = await browser.post('/account/billing/portal', {});
    assert.is(portal.res.status, 303);
    assert.match(portal.res.headers.get('location') ?? '', /^https:\/\/billing\.stripe\.com\/p\/session\//);
    assert.is(stripe.calls('POST /v1/billing_portal/sessions')[0]!.form.customer, m.store.billing.customerOf(user.id)!.customerId);

    // Upgrade (in the portal): Stripe says Pro now.
    stripe.subscriptions.get(`sub_${user.id}_${STARTER}`)!.price = PRO;
    assert.is((await deliver(m, 'customer.subscription.updated', { id: `sub_${user.id}_${STARTER}`, object: 'subscription' })).status, 200);
    assert.is((await me(m, key)).privateAddressCredits, 7);
    assert.is((await reserveApi(m, key, 'b4@mailroom.test')).status, 200);
    // Downgrade back: nothing is taken away at once, but no new address fits.
    stripe.subscriptions.get(`sub_${user.id}_${STARTER}`)!.price = STARTER;
    await deliver(m, 'customer.subscription.updated', { id: `sub_${user.id}_${STARTER}`, object: 'subscription' });
    assert.is((await me(m, key)).privateAddressCredits, 0);
    assert.is((await reserveApi(m, key, 'b6@mailroom.test')).status, 402);
    assert.is(m.store.addresses.countForOwner(user.id), 4);
  } finally {
    await m.cleanup();
    await stripe.close();
  }
});

test('a replayed event is applied once', async () => {
  const stripe = await StripeStandIn.start();
  const m = await billingRoom(stripe);
  try {
    const { user } = await newUser(m, 'replay');
    stripe.subscriptions.set('sub_r', { id: 'sub_r', customer: 'cus_r', status: 'active', price: STARTER, metadata: { mailroom_user: String(user.id) } });
    const first = await deliver(m, 'customer.subscription.created', { id: 'sub_r', object: 'subscription' }, { id: 'evt_replayed' });
    assert.is(first.status, 200);
    assert.match(first.body, '"applied":true');
    const fetched = stripe.calls('GET /v1/subscriptions/sub_r').length;
    // Stripe's state moves on; the same event delivered again must not re-apply anything.
    stripe.subscriptions.get('sub_r')!.status = 'canceled';
    const again = await deliver(m, 'customer.subscription.created', { id: 'sub_r', object: 'subscription' }, { id: 'evt_replayed' });
    assert.is(again.status, 200);
    assert.match(again.body, '"applied":false');
    assert.is(stripe.calls('GET /v1/subscriptions/sub_r').length, fetched, 'a replay is not even fetched');
    assert.is(m.store.billing.subscription('sub_r')!.status, 'active');
    assert.is(m.store.billing.eventCount(), 1);
  } finally {
    await m.cleanup();
    await stripe.close();
  }
});

test('Stripe failing: the webhook answers 500 and records nothing, so the redelivery applies it; an unknown subscription is recorded and left', async () => {
  const stripe = await StripeStandIn.start();
  const m = await billingRoom(stripe);
  try {
    const { user } = await newUser(m, 'outage');
    stripe.subscriptions.set('sub_down', { id: 'sub_down', customer: 'cus_down', status: 'active', price: STARTER, metadata: { mailroom_user: String(user.id) } });
    stripe.down = true;
    const failed = await deliver(m, 'customer.subscription.created', { id: 'sub_down', object: 'subscription' }, { id: 'evt_during_outage' });
    assert.is(failed.status, 500);
    assert.is(m.store.billing.eventCount(), 0);
    assert.is(m.store.billing.subscription('sub_down'), null);
    stripe.down = false;
    const retried = await deliver(m, 'customer.subscription.created', { id: 'sub_down', object: 'subscription' }, { id: 'evt_during_outage' });
    assert.is(retried.status, 200);
    assert.is(m.store.billing.subscription('sub_down')!.status, 'active');
    const unknown = await deliver(m, 'customer.subscription.updated', { id: 'sub_nobody_has', object: 'subscription' });
    assert.is(unknown.status, 200);
    assert.match(unknown.body, '"applied":false');
    assert.is(m.store.billing.eventCount(), 2);
  } finally {
    await m.cleanup();
    await stripe.close();
  }
});

test('out of order: updated before created settles on the subscription Stripe has now', async () => {
  const stripe = await StripeStandIn.start();
  const m = await billingRoom(stripe);
  try {
    const { user, key } = await newUser(m, 'unordered');
    // The user subscribed to Starter and upgraded to Pro at once; Stripe now says Pro.
    stripe.subscriptions.set('sub_o', { id: 'sub_o', customer: 'cus_o', status: 'active', price: PRO, metadata: { mailroom_user: String(user.id) } });
    const updated = { id: 'sub_o', object: 'subscription', customer: 'cus_o', status: 'active', items: { data: [{ price: { id: PRO } }] } };
    const created = { id: 'sub_o', object: 'subscription', customer: 'cus_o', status: 'incomplete', items: { data: [{ price: { id: STARTER } }] } };
    assert.is((await deliver(m, 'customer.subscription.updated', updated)).status, 200);
    assert.is((await deliver(m, 'customer.subscription.created', created)).status, 200);
    const s = m.store.billing.subscription('sub_o')!;
    assert.is(s.priceId, PRO);
    assert.is(s.status, 'active');
    assert.is((await me(m, key)).privateAddressCredits, 10);
    // invoice events resolve the same way (API 2026 names the subscription under parent).
    stripe.subscriptions.get('sub_o')!.status = 'past_due';
    assert.is((await deliver(m, 'invoice.payment_failed', { id: 'in_1', object: 'invoice', parent: { type: 'subscription_details', subscription_details: { subscription: 'sub_o' } } })).status, 200);
    assert.is(m.store.billing.subscription('sub_o')!.status, 'past_due');
    assert.is((await me(m, key)).privateAddressCredits, 10, 'past_due keeps the plan while Stripe retries');
    stripe.subscriptions.get('sub_o')!.status = 'active';
    assert.is((await deliver(m, 'invoice.paid', { id: 'in_2', object: 'invoice', subscription: 'sub_o' })).status, 200);
    assert.is(m.store.billing.subscription('sub_o')!.status, 'active');
  } finally {
    await m.cleanup();
    await stripe.close();
  }
});

test('lapse -> grace -> release: after the grace period the addresses beyond the free grant go, oldest first, into the audit log and onto the account page', async () => {
  const stripe = await StripeStandIn.start();
  const m = await billingRoom(stripe, { privacy: { releaseDeletesMail: true } as never });
  try {
    const { user, key } = await newUser(m, 'lapser');
    const sub = await subscribe(m, stripe, user.id, STARTER);
    for (const a of ['old1', 'old2', 'newest']) {
      assert.is((await reserveApi(m, key, `${a}@mailroom.test`)).status, 200);
      await new Promise((r) => setTimeout(r, 5)); // distinct reservation times
    }
    const c = await RawSmtp.connect(m.smtpAddress.port);
    await c.hello();
    assert.is((await c.send('x@example.org', ['old1@mailroom.test'], simpleMessage({ to: 'old1@mailroom.test', subject: 'kept until the release' }))).code, 250);
    await c.quit();
    await m.parseQueue.idle();
    assert.is(m.store.messages.countAll('old1@mailroom.test'), 1);

    // The subscription ends (payment failed for good, or canceled).
    stripe.subscriptions.get(sub)!.status = 'canceled';
    const t0 = Date.now();
    assert.is((await deliver(m, 'customer.subscription.deleted', { id: sub, object: 'subscription' })).status, 200);
    const row = m.store.billing.subscription(sub)!;
    assert.is(row.status, 'canceled');
    assert.ok(row.graceUntil! >= t0 + 3 * DAY && row.graceUntil! <= Date.now() + 3 * DAY, 'grace period of billing.gracePeriodDays');
    const browser = await signIn(m, 'lapser');
    let page = await browser.get('/account');
    assert.match(page.text, /Your plan stays until/);

    // Inside the grace period nothing goes, and the plan still counts.
    assert.equal(await m.services.billing.enforceGracePeriods(row.graceUntil! - 1000), []);
    assert.is(m.store.addresses.countForOwner(user.id), 3);
    assert.is((await m.services.billing.entitlements(user, row.graceUntil! - 1000)).privateAddresses, 3);

    // The scheduled check (jobs/billing-grace.ts), run once with its clock past the deadline.
    const job = new BillingGraceJob({ config: m.config, billing: m.services.billing, log: silentLogger(), now: () => row.graceUntil! + 1000 });
    const released = await job.runNow();
    await job.stop();
    assert.equal(released.map((r) => r.address), ['old1@mailroom.test', 'old2@mailroom.test']);
    assert.equal(m.store.addresses.listForOwner(user.id).map((a) => a.address), ['newest@mailroom.test']);
    assert.is(m.store.messages.countAll('old1@mailroom.test'), 0, 'privacy.releaseDeletesMail: the mail went with the address');
    const audit = m.store.audit.list({ limit: 50 }).filter((e) => e.action === 'billing-release');
    assert.equal(audit.map((e) => e.target).sort(), ['old1@mailroom.test', 'old2@mailroom.test']);
    assert.is(audit[0]!.actor, 'system');
    assert.is(audit[0]!.detail.account, 'lapser');
    page = await browser.get('/account');
    assert.match(page.text, /id="billing-releases"/);
    assert.match(page.text, /old1@mailroom\.test<\/span> released/);
    // (The page renders at the real clock, still inside the grace period the check above was run past.)
    assert.match(page.text, /1 of 3 reserved/);
    // Run again: nothing more goes.
    assert.equal(await m.services.billing.enforceGracePeriods(row.graceUntil! + 2 * DAY), []);
  } finally {
    await m.cleanup();
    await stripe.close();
  }
});

test('account deletion cancels the subscription at Stripe first and deletes the billing records; the export holds them', async () => {
  const stripe = await StripeStandIn.start();
  const m = await billingRoom(stripe);
  try {
    const { user } = await newUser(m, 'leaver');
    const sub = await subscribe(m, stripe, user.id, PRO);
    // A second subscription Mailroom still thinks active, already canceled at Stripe (a missed event).
    const stale = await subscribe(m, stripe, user.id, STARTER);
    stripe.subscriptions.get(stale)!.status = 'canceled';
    const chunks: Buffer[] = [];
    await exportData(m.store, { kind: 'account', userId: user.id }, (c) => void chunks.push(c), { config: m.config, billingRecords: (id) => m.services.billing.exportRecords(id) });
    const zip = Buffer.concat(chunks).toString('utf8');
    assert.match(zip, `"subscriptionId": "${sub}"`);
    assert.match(zip, `"customerId": "cus_for_${user.id}"`);
    assert.match(zip, '"plan": "Pro"');

    const res = await fetch(`${m.http}/api/users/leaver/data`, { method: 'DELETE', headers: { 'Mailsac-Key': ADMIN_KEY } });
    assert.is(res.status, 200);
    assert.is(stripe.calls(`DELETE /v1/subscriptions/${sub}`).length, 1);
    assert.is(stripe.calls(`DELETE /v1/subscriptions/${stale}`).length, 1, 'tried, refused by Stripe, and found already canceled');
    assert.is(stripe.subscriptions.get(sub)!.status, 'canceled');
    assert.equal(m.store.billing.subscriptionsOf(user.id), []);
    assert.is(m.store.billing.customerOf(user.id), null);
  } finally {
    await m.cleanup();
    await stripe.close();
  }
});

test('/privacy names Stripe and what Mailroom stores only when billing is on', async () => {
  const stripe = await StripeStandIn.start();
  const on = await billingRoom(stripe);
  const off = await startTestMailroom();
  try {
    const withBilling = await (await fetch(`${on.http}/privacy`)).text();
    assert.match(withBilling, /Payments are processed by Stripe/);
    assert.match(withBilling, /customer id, its subscription ids, the plan/);
    assert.match(withBilling, /Never card numbers/);
    const without = await (await fetch(`${off.http}/privacy`)).text();
    assert.not.match(without, /Stripe/);
    // Off: no plan section, no limits, no webhook.
    const { user, key } = await newUser(off, 'nobilling');
    // Mailsac's integer (issue 12): 0 while billing is off, where no plan limits reservations.
    assert.is((await me(off, key)).privateAddressCredits, 0);
    for (const a of ['f1', 'f2', 'f3']) assert.is((await reserveApi(off, key, `${a}@mailroom.test`)).status, 200);
    assert.is(off.store.addresses.countForOwner(user.id), 3);
    assert.is((await fetch(`${off.http}/billing/stripe/webhook`, { method: 'POST', body: '{}' })).status, 404);
  } finally {
    await on.cleanup();
    await off.cleanup();
    await stripe.close();
  }
});

test('config: naming Stripe without every key fails at start, each problem named', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ file: '/dev/null', env });
      return [];
    } catch (err) {
      assert.instance(err, ConfigError);
      return (err as ConfigError).problems;
    }
  };
  const p = problems({ MAILROOM_BILLING_STRIPE_SECRET_KEY: 'sk_test_1', MAILROOM_BILLING_GRACE_PERIOD_DAYS: '-1' });
  assert.ok(p.some((x) => x.startsWith('billing.stripe.webhookSecret: required')), p.join('\n'));
  assert.ok(p.some((x) => x.startsWith('billing.plans: at least one plan')), p.join('\n'));
  assert.ok(p.some((x) => x.startsWith('billing.gracePeriodDays')), p.join('\n'));
  const q = problems({ MAILROOM_BILLING_STRIPE_WEBHOOK_SECRET: 'whsec_1', MAILROOM_BILLING_PLANS: '[{"price":"prod_1","name":"X"}]' });
  assert.ok(q.some((x) => x.startsWith('billing.stripe.secretKey: required')), q.join('\n'));
  assert.ok(q.some((x) => x.startsWith('billing.plans.0.price: must start with price_')), q.join('\n'));
  assert.equal(problems({}), []);
  const ok = loadConfig({ file: '/dev/null', env: { MAILROOM_BILLING_STRIPE_SECRET_KEY: 'sk_test_1', MAILROOM_BILLING_STRIPE_WEBHOOK_SECRET: 'whsec_1', MAILROOM_BILLING_PLANS: '[{"price":"price_1","name":"One","privateAddresses":4}]' } });
  assert.is(ok.billing.plans[0]!.privateAddresses, 4);
});

test('the free grant applies to accounts without a plan and is shown on the account page', async () => {
  const stripe = await StripeStandIn.start();
  const m = await billingRoom(stripe, {
    billing: {
      stripe: { secretKey: 'sk_test_mailroom', webhookSecret: WHSEC, apiBase: stripe.base },
      gracePeriodDays: 3,
      free: { privateAddresses: 2, customDomains: 1, captureMessagesPerMonth: 50, storageMessages: 200, retentionDays: 7 },
      plans: [{ price: STARTER, name: 'Starter', privateAddresses: 3, customDomains: 0, captureMessagesPerMonth: 100, storageMessages: 500, retentionDays: 30 }],
    },
  });
  try {
    const { key } = await newUser(m, 'freebie');
    assert.is((await me(m, key)).privateAddressCredits, 2);
    const browser = await signIn(m, 'freebie');
    const page = await browser.get('/account');
    assert.match(page.text, '2 private addresses, 1 custom domain, 50 captured messages a month, 200 stored messages, mail kept 7 days');
    assert.match(page.text, /of 200 messages/);
  } finally {
    await m.cleanup();
    await stripe.close();
  }
});

test.run();
