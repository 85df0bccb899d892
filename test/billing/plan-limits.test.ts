// What a plan grants is enforced, not only shown (issue 15): the capture
// port's monthly count, custom domains, and the storage and retention a plan
// sets for an account's private mail. Real parts: the real stripe client
// against the stand-in, signed webhooks, nodemailer against the capture and
// MX ports, the retention job on the writer thread.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import nodemailer from 'nodemailer';
import { startTestMailroom } from '../helpers/mailroom.js';
import { StripeStandIn, signedEvent } from '../helpers/stripe-standin.js';
import { storeRaw, rawMessage } from '../api/_helpers.js';
import { DOMAIN_UPGRADE_HINT } from '../../src/services/billing.js';
import { captureMonth } from '../../src/store/capture-usage.js';
import { withDatabaseFile, sqlValue } from '../helpers/database-file.js';
import { exportData } from '../../src/services/data-rights.js';

const WHSEC = 'whsec_plan_limits_secret';
const STARTER = 'price_starter';
const BIG = 'price_big';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Room = Awaited<ReturnType<typeof startTestMailroom>>;

/** Free: no capture, no domain, the retention settings. Starter: 3 captures a month, 1 domain, 2 messages kept 1 day. Big: 10 messages kept 30 days. */
async function room(stripe: StripeStandIn, retention: Record<string, unknown> = {}): Promise<Room> {
  return startTestMailroom(
    {
      billing: {
        stripe: { secretKey: 'sk_test_limits', webhookSecret: WHSEC, apiBase: stripe.base },
        free: { privateAddresses: 1, customDomains: 0, captureMessagesPerMonth: 0, storageMessages: 0, retentionDays: 0 },
        plans: [
          { price: STARTER, name: 'Starter', privateAddresses: 5, customDomains: 1, captureMessagesPerMonth: 3, storageMessages: 2, retentionDays: 1 },
          { price: BIG, name: 'Big', privateAddresses: 5, customDomains: 0, captureMessagesPerMonth: 0, storageMessages: 10, retentionDays: 30 },
        ],
      },
      retention: { schedule: 'off', ...retention },
    } as never,
    { capture: true },
  );
}

const PASSWORD = 'plan-limits-password-1';

async function user(m: Room, username: string, role: 'user' | 'admin' = 'user') {
  const u = await m.store.users.create({ username, role, password: PASSWORD });
  return { id: u.id, key: m.store.keys.create(u.id, 'app').key };
}

/** The account page as the key's account sees it. */
async function accountPage(m: Room, key: string): Promise<string> {
  const res = await fetch(`${m.http}/account`, { headers: { 'Mailsac-Key': key }, redirect: 'manual' });
  assert.is(res.status, 200);
  return res.text();
}

/** A signed-in browser session (cookie and CSRF token) that posts the account page's forms. */
async function signIn(m: Room, username: string) {
  let cookie = '';
  let csrf = '';
  const keep = async (res: Response) => {
    const set = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
    if (set.length) cookie = [...cookie.split('; ').filter(Boolean).filter((c) => !set.some((s) => s.split('=')[0] === c.split('=')[0])), ...set].join('; ');
    const text = await res.text();
    csrf = /name="csrf" value="([^"]+)"/.exec(text)?.[1] ?? csrf;
    return { status: res.status, text };
  };
  const post = async (path: string, fields: Record<string, string>) =>
    keep(await fetch(`${m.http}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: m.http, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, ...fields }).toString() }));
  await keep(await fetch(`${m.http}/login`, { redirect: 'manual' }));
  assert.is((await post('/login', { username, password: PASSWORD })).status, 303, 'signed in');
  await keep(await fetch(`${m.http}/account`, { headers: { cookie }, redirect: 'manual' }));
  return { post };
}

/** Stripe has an active subscription for the account and the checkout completes (a signed webhook). */
async function subscribe(m: Room, stripe: StripeStandIn, userId: number, price: string) {
  const subId = `sub_${userId}_${price}`;
  const customer = `cus_${userId}`;
  stripe.subscriptions.set(subId, { id: subId, customer, status: 'active', price, metadata: { mailroom_user: String(userId) } });
  const e = signedEvent(WHSEC, 'checkout.session.completed', { id: `cs_${subId}`, object: 'checkout.session', mode: 'subscription', client_reference_id: String(userId), customer, subscription: subId });
  const res = await fetch(`${m.http}/billing/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': e.signature }, body: e.body });
  assert.is(res.status, 200, await res.text());
}

function capture(m: Room, username: string, key: string) {
  return nodemailer.createTransport({ host: '127.0.0.1', port: m.captureAddress!.port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: username, pass: key } });
}

async function refusal(send: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await send;
  } catch (err) {
    return { code: (err as { responseCode?: number }).responseCode ?? 0, message: String((err as Error).message) };
  }
  assert.unreachable('the capture port accepted it');
  return { code: 0, message: '' };
}

test('captureMessagesPerMonth: counted per recipient copy and calendar month (UTC), refused past it with 550 5.7.1 and the upgrade words; a plan without capture gets none', async () => {
  const stripe = await StripeStandIn.start();
  const m = await room(stripe);
  try {
    // The free grant here has no capture (0 means none, config.ts).
    const free = await user(m, 'freebie');
    const none = await refusal(capture(m, 'freebie', free.key).sendMail({ from: 'freebie', to: 'a@example.com', subject: 'x', text: 'x' }));
    assert.is(none.code, 550);
    assert.match(none.message, /5\.7\.1 Your plan includes no Email Capture.*\/account/);

    const paid = await user(m, 'capper');
    await subscribe(m, stripe, paid.id, STARTER);
    const t = capture(m, 'capper', paid.key);
    assert.match((await t.sendMail({ from: 'capper', to: 'one@example.com', subject: 'one', text: 'x' })).response, /^250 /);
    assert.match((await t.sendMail({ from: 'capper', to: 'two@example.com', subject: 'two', text: 'x' })).response, /^250 /);
    // Two recipients with one message left this month: the first is taken, the second refused at RCPT.
    const split = await t.sendMail({ from: 'capper', to: ['three@example.com', 'four@example.com'], subject: 'three', text: 'x' });
    assert.equal(split.accepted, ['three@example.com']);
    assert.equal(split.rejected, ['four@example.com']);
    assert.is(m.store.captureUsage.used(paid.id, Date.now()), 3);
    assert.is(m.store.messages.capturedCount(paid.id), 3);
    assert.match(await accountPage(m, paid.key), 'id="billing-captured">3 of 3 (UTC month)');
    assert.match(await accountPage(m, free.key), 'id="billing-captured">0 of 0 (no Email Capture) (UTC month)');

    const over = await refusal(t.sendMail({ from: 'capper', to: 'five@example.com', subject: 'five', text: 'x' }));
    assert.is(over.code, 550);
    assert.match(over.message, /5\.7\.1 Monthly capture limit reached: your plan allows 3 captured messages a month \(renews \d{4}-\d\d-01 UTC\); upgrade your plan on your account page \(\/account\)/);

    // Deleting captured mail gives nothing back: the month counts what was accepted.
    for (const x of m.store.messages.list('one@example.com', { reader: { userId: paid.id, admin: false } })) m.store.messages.delete(x.id);
    assert.is((await refusal(t.sendMail({ from: 'capper', to: 'six@example.com', subject: 'six', text: 'x' }))).code, 550);

    // The same count in an earlier month does not count now: the allowance is per calendar month.
    withDatabaseFile(m.store, (db) => db.prepare(`UPDATE capture_usage SET month = ? WHERE user_id = ?`).run(captureMonth(Date.now() - 40 * DAY), paid.id), { write: true });
    assert.match((await t.sendMail({ from: 'capper', to: 'seven@example.com', subject: 'seven', text: 'x' })).response, /^250 /);
    assert.is(m.store.captureUsage.used(paid.id, Date.now()), 1);

    // Admins have no plan limits.
    const root = await user(m, 'root', 'admin');
    assert.match((await capture(m, 'root', root.key).sendMail({ from: 'root', to: 'r@example.com', subject: 'r', text: 'x' })).response, /^250 /);
    t.close();

    // The counts are the account's data: in its export, and gone with it.
    const chunks: Buffer[] = [];
    await exportData(m.store, { kind: 'account', userId: paid.id }, (c) => void chunks.push(c), { config: m.config, billingRecords: (id) => m.services.billing.exportRecords(id) });
    assert.match(Buffer.concat(chunks).toString('utf8'), `"month": "${captureMonth(Date.now())}"`);
    assert.is((await fetch(`${m.http}/api/users/capper/data`, { method: 'DELETE', headers: { 'Mailsac-Key': root.key } })).status, 200);
    assert.is(sqlValue(m.store, 'SELECT count(*) FROM capture_usage WHERE user_id = ?', paid.id), 0);
  } finally {
    await m.cleanup();
    await stripe.close();
  }
});

test('customDomains: adding one over the plan is 402 with Mailsac’s privateDomain filled, and the account page says how to upgrade', async () => {
  const stripe = await StripeStandIn.start();
  const m = await room(stripe);
  try {
    const u = await user(m, 'domainer');
    const add = (d: string) => fetch(`${m.http}/api/domains/${d}`, { method: 'POST', headers: { 'Mailsac-Key': u.key } });
    const free = await add('first.example');
    assert.is(free.status, 402);
    assert.equal(await free.json(), { status: 402, error: 'Payment Required', message: DOMAIN_UPGRADE_HINT, privateDomain: 0, customDomains: 0 });
    assert.is(m.store.domains.get('first.example'), null);

    await subscribe(m, stripe, u.id, STARTER);
    assert.is((await add('first.example')).status, 200);
    const second = await add('second.example');
    assert.is(second.status, 402);
    assert.equal(await second.json(), { status: 402, error: 'Payment Required', message: DOMAIN_UPGRADE_HINT, privateDomain: 0, customDomains: 1 });
    assert.is(m.store.domains.get('second.example'), null);
    assert.match(await accountPage(m, u.key), 'id="billing-domains">1 of 1 added');
    // The page's form: the same refusal, in the same words.
    const page = await (await signIn(m, 'domainer')).post('/account/domains', { domain: 'third.example' });
    assert.is(page.status, 400);
    assert.ok(page.text.includes(DOMAIN_UPGRADE_HINT), 'the page says how to upgrade');
    assert.is(m.store.domains.get('third.example'), null);
    // Removing one makes room again.
    assert.is((await fetch(`${m.http}/api/domains/first.example`, { method: 'DELETE', headers: { 'Mailsac-Key': u.key } })).status < 300, true);
    assert.is((await add('second.example')).status, 200);
  } finally {
    await m.cleanup();
    await stripe.close();
  }
});

test('storageMessages and retentionDays replace the retention settings for the account, longer or shorter; 0 leaves them in force', async () => {
  const stripe = await StripeStandIn.start();
  // The operator's settings: private mail kept 12 hours, at most 3 messages an account.
  const m = await room(stripe, { private: { maxAgeHours: 12, maxMessagesPerAccount: 3 } });
  try {
    const free = await user(m, 'plainuser');
    const starter = await user(m, 'starteruser');
    const big = await user(m, 'biguser');
    await subscribe(m, stripe, starter.id, STARTER);
    await subscribe(m, stripe, big.id, BIG);
    const now = Date.now();
    const inboxes = { plain: 'plain@mailroom.test', starter: 'starter@mailroom.test', big: 'big@mailroom.test' };
    await m.store.addresses.reserve(inboxes.plain, free.id);
    await m.store.addresses.reserve(inboxes.starter, starter.id);
    await m.store.addresses.reserve(inboxes.big, big.id);
    // Each account: two messages 2 days old (one starred), and four from the last hour.
    for (const inbox of Object.values(inboxes)) {
      for (const [i, age] of [2 * DAY, 2 * DAY - 1000].entries()) await storeRaw(m.store, rawMessage({ to: inbox, subject: `old ${i}`, text: 'x' }), inbox, now - age);
      for (let i = 0; i < 4; i++) await storeRaw(m.store, rawMessage({ to: inbox, subject: `new ${i}`, text: 'x' }), inbox, now - HOUR + i * 1000);
      const starred = m.store.messages.list(inbox, { limit: 10 }).find((x) => x.subject === 'old 0')!;
      m.store.messages.setStarred(starred.id, true);
    }
    const r = await m.retention.runNow();
    assert.ok(r, 'retention ran');
    const subjects = (inbox: string) => m.store.messages.list(inbox, { limit: 50 }).map((x) => x.subject).sort();

    // Free (plan 0s): the settings. 12 h takes the unstarred old one; then 3 kept, the starred counting and staying.
    assert.equal(subjects(inboxes.plain), ['new 2', 'new 3', 'old 0']);
    // Starter: 1 day takes the unstarred old one too; then its own 2, not the settings' 3.
    assert.equal(subjects(inboxes.starter), ['new 3', 'old 0']);
    // Big: 30 days keeps the old mail the settings' 12 h would take, and 10 keeps all 6.
    assert.equal(subjects(inboxes.big), ['new 0', 'new 1', 'new 2', 'new 3', 'old 0', 'old 1']);

    // The API says what the account is held to (Mailsac's messageLimit).
    const limit = async (key: string) => ((await (await fetch(`${m.http}/api/me`, { headers: { 'Mailsac-Key': key } })).json()) as { messageLimit: number }).messageLimit;
    assert.is(await limit(free.key), 3);
    assert.is(await limit(starter.key), 2);
    assert.is(await limit(big.key), 10);
  } finally {
    await m.cleanup();
    await stripe.close();
  }
});

test.run();
