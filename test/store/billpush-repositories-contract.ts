// The billing, capture usage and webhook (account side) repositories'
// contract (issue 14): what both engines must answer alike, checked with the
// same cases against each (billpush-repositories-sqlite.test.ts on
// store.data, pg/billpush-repositories.test.ts on pgBillpushRepositories).
// Every assertion names concrete values, so passing on both means both answer
// the same. Deliveries and activity lines are written by the ready commit and
// the webhook queue, not by these repositories: each engine plants them
// with the rows those write.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Repositories } from '../../src/store/repositories.js';
import type { BillingSubscription } from '../../src/store/billing.js';
import { SECRET_PREFIX, type Activity, type Delivery } from '../../src/store/webhooks.js';

export type BillpushRepositories = Pick<Repositories, 'billing' | 'captureUsage' | 'webhooks'>;

/** A queue row as the test inserts it: a Delivery without its id. */
export type DeliveryRow = Omit<Delivery, 'id'>;

/** An activity line as the test inserts it: an Activity without its id, with the account it belongs to. */
export type ActivityRow = Omit<Activity, 'id'> & { userId: number };

export interface BillpushEngine {
  repos: BillpushRepositories;
  /** fn with repositories bound to one transaction (Repositories.transaction on SQLite, a PostgreSQL transaction here). */
  transaction<T>(fn: (tx: BillpushRepositories) => Promise<T>): Promise<T>;
  createUser(username: string): Promise<number>;
  /** Plants a webhook_deliveries row; its id. */
  insertDelivery(d: DeliveryRow): Promise<number>;
  /** Plants a webhook_activity row; its id. */
  insertActivity(a: ActivityRow): Promise<number>;
}

const T0 = 1_800_000_000_000;
const DAY = 86_400_000;

function sub(o: Partial<BillingSubscription> & Pick<BillingSubscription, 'subscriptionId' | 'userId'>): BillingSubscription {
  return { customerId: 'cus_x', priceId: 'price_basic', status: 'active', lapsedAt: null, graceUntil: null, enforcedAt: null, created: T0, updated: T0, ...o };
}

export function billpushRepositoriesContract(test: Test, engine: BillpushEngine): void {
  const { billing, captureUsage, webhooks } = engine.repos;

  // ---- billing: customers

  test('a customer is set once per account: created kept, the id replaced, looked up both ways', async () => {
    const u = await engine.createUser('cust-a');
    const other = await engine.createUser('cust-b');
    assert.is(await billing.customerOf(u), null);
    assert.is(await billing.userOfCustomer('cus_A1'), null);
    await billing.setCustomer(u, 'cus_A1', T0);
    assert.equal(await billing.customerOf(u), { userId: u, customerId: 'cus_A1', created: T0 });
    assert.is(await billing.userOfCustomer('cus_A1'), u);
    await billing.setCustomer(u, 'cus_A2', T0 + 5000);
    assert.equal(await billing.customerOf(u), { userId: u, customerId: 'cus_A2', created: T0 });
    assert.is(await billing.userOfCustomer('cus_A1'), null);
    assert.is(await billing.userOfCustomer('cus_A2'), u);
    // A Stripe customer is one account's: another account cannot take it.
    let refused = false;
    await billing.setCustomer(other, 'cus_A2', T0).catch(() => (refused = true));
    assert.ok(refused, 'a customer id already another account\'s is refused');
    assert.is(await billing.customerOf(other), null);
  });

  // ---- billing: subscriptions

  test('subscriptions: saved as given, updated in place keeping created, listed most recently changed first', async () => {
    const u = await engine.createUser('subs-a');
    assert.is(await billing.subscription('sub_none'), null);
    assert.equal(await billing.subscriptionsOf(u), []);
    await billing.saveSubscription(sub({ subscriptionId: 'sub_1', userId: u, created: T0, updated: T0 }));
    await billing.saveSubscription(sub({ subscriptionId: 'sub_2', userId: u, priceId: 'price_pro', created: T0 + 1000, updated: T0 + 1000 }));
    assert.equal(
      (await billing.subscriptionsOf(u)).map((s) => s.subscriptionId),
      ['sub_2', 'sub_1'],
    );
    // Lapsed: a later save with another created keeps the first one.
    await billing.saveSubscription(
      sub({ subscriptionId: 'sub_1', userId: u, status: 'canceled', lapsedAt: T0 + 2000, graceUntil: T0 + 2000 + 3 * DAY, created: T0 + 9999, updated: T0 + 2000 }),
    );
    assert.equal(await billing.subscription('sub_1'), {
      subscriptionId: 'sub_1',
      userId: u,
      customerId: 'cus_x',
      priceId: 'price_basic',
      status: 'canceled',
      lapsedAt: T0 + 2000,
      graceUntil: T0 + 2000 + 3 * DAY,
      enforcedAt: null,
      created: T0,
      updated: T0 + 2000,
    });
    assert.equal(
      (await billing.subscriptionsOf(u)).map((s) => [s.subscriptionId, s.status, s.priceId]),
      [
        ['sub_1', 'canceled', 'price_basic'],
        ['sub_2', 'active', 'price_pro'],
      ],
    );
  });

  test('graceEnded: lapsed subscriptions whose grace is over and not yet enforced, earliest first; markEnforced takes one out', async () => {
    const u = await engine.createUser('grace-a');
    const base = T0 + 100 * DAY;
    await billing.saveSubscription(sub({ subscriptionId: 'gr_late', userId: u, status: 'canceled', lapsedAt: base, graceUntil: base + 2000 }));
    await billing.saveSubscription(sub({ subscriptionId: 'gr_early', userId: u, status: 'unpaid', lapsedAt: base, graceUntil: base + 1000 }));
    await billing.saveSubscription(sub({ subscriptionId: 'gr_future', userId: u, status: 'canceled', lapsedAt: base, graceUntil: base + 10_000 }));
    await billing.saveSubscription(sub({ subscriptionId: 'gr_done', userId: u, status: 'canceled', lapsedAt: base, graceUntil: base + 500, enforcedAt: base + 600 }));
    await billing.saveSubscription(sub({ subscriptionId: 'gr_active', userId: u }));
    const ended = (now: number) => billing.graceEnded(now).then((l) => l.filter((s) => s.userId === u).map((s) => s.subscriptionId));
    assert.equal(await ended(base + 999), []);
    assert.equal(await ended(base + 1000), ['gr_early']);
    assert.equal(await ended(base + 5000), ['gr_early', 'gr_late']);
    await billing.markEnforced('gr_early', base + 5001);
    assert.equal(await ended(base + 5000), ['gr_late']);
    assert.is((await billing.subscription('gr_early'))!.enforcedAt, base + 5001);
  });

  // ---- billing: events and releases

  test('events: recorded once; a replay answers false', async () => {
    assert.is(await billing.hasEvent('evt_1'), false);
    assert.is(await billing.recordEvent('evt_1', 'invoice.paid', T0), true);
    assert.is(await billing.recordEvent('evt_1', 'invoice.paid', T0 + 1), false);
    assert.is(await billing.hasEvent('evt_1'), true);
    assert.is(await billing.hasEvent('evt_2'), false);
  });

  test('releases: newest first (the later one first at the same instant), wiped as a boolean, limited', async () => {
    const u = await engine.createUser('rel-a');
    const other = await engine.createUser('rel-b');
    await billing.recordRelease({ userId: u, address: 'one@mailroom.test', wiped: true, at: T0 });
    await billing.recordRelease({ userId: u, address: 'two@mailroom.test', wiped: false, at: T0 + 10 });
    await billing.recordRelease({ userId: u, address: 'three@mailroom.test', wiped: false, at: T0 + 10 });
    await billing.recordRelease({ userId: other, address: 'theirs@mailroom.test', wiped: true, at: T0 + 20 });
    assert.equal(await billing.releasesOf(u), [
      { userId: u, address: 'three@mailroom.test', wiped: false, at: T0 + 10 },
      { userId: u, address: 'two@mailroom.test', wiped: false, at: T0 + 10 },
      { userId: u, address: 'one@mailroom.test', wiped: true, at: T0 },
    ]);
    assert.equal((await billing.releasesOf(u, 2)).map((r) => r.address), ['three@mailroom.test', 'two@mailroom.test']);
  });

  test("forgetAccount deletes the account's subscriptions, customer and releases, counts them, and leaves other accounts' alone", async () => {
    const u = await engine.createUser('forget-a');
    const other = await engine.createUser('forget-b');
    await billing.setCustomer(u, 'cus_forget_a', T0);
    await billing.setCustomer(other, 'cus_forget_b', T0);
    await billing.saveSubscription(sub({ subscriptionId: 'sub_fa1', userId: u }));
    await billing.saveSubscription(sub({ subscriptionId: 'sub_fa2', userId: u }));
    await billing.saveSubscription(sub({ subscriptionId: 'sub_fb', userId: other }));
    await billing.recordRelease({ userId: u, address: 'gone@mailroom.test', wiped: true, at: T0 });
    assert.is(await billing.forgetAccount(u), 4);
    assert.is(await billing.customerOf(u), null);
    assert.equal(await billing.subscriptionsOf(u), []);
    assert.equal(await billing.releasesOf(u), []);
    assert.is(await billing.forgetAccount(u), 0, 'again: nothing left');
    assert.is((await billing.customerOf(other))!.customerId, 'cus_forget_b');
    assert.equal((await billing.subscriptionsOf(other)).map((s) => s.subscriptionId), ['sub_fb']);
  });

  // ---- capture usage

  test('capture usage: counted per UTC month, nothing for zero or less, months oldest first', async () => {
    const u = await engine.createUser('capture-a');
    const other = await engine.createUser('capture-b');
    const lastOfJan = Date.UTC(2027, 0, 31, 23, 59, 59, 999);
    const firstOfFeb = Date.UTC(2027, 1, 1);
    assert.is(await captureUsage.used(u, lastOfJan), 0);
    assert.equal(await captureUsage.months(u), []);
    await captureUsage.add(u, firstOfFeb, 3);
    await captureUsage.add(u, lastOfJan, 2);
    await captureUsage.add(u, Date.UTC(2027, 0, 1), 1);
    await captureUsage.add(u, lastOfJan, 0);
    await captureUsage.add(u, lastOfJan, -4);
    await captureUsage.add(other, lastOfJan, 7);
    assert.is(await captureUsage.used(u, lastOfJan), 3);
    assert.is(await captureUsage.used(u, firstOfFeb), 3);
    assert.is(await captureUsage.used(u, Date.UTC(2027, 2, 1)), 0);
    assert.equal(await captureUsage.months(u), [
      { month: '2027-01', messages: 3 },
      { month: '2027-02', messages: 3 },
    ]);
    assert.equal(await captureUsage.months(other), [{ month: '2027-01', messages: 7 }]);
  });

  // ---- webhooks

  test('secretFor: created on first use, the same afterwards; the export says when, never what', async () => {
    const u = await engine.createUser('secret-a');
    assert.equal(await webhooks.exportOf({ userId: u }), { secretCreated: null, deliveries: [], activity: [] });
    const before = Date.now();
    const s = await webhooks.secretFor(u);
    const after = Date.now();
    assert.ok(s.startsWith(SECRET_PREFIX), s);
    assert.is(s.length, SECRET_PREFIX.length + 43, '32 random bytes, base64url');
    assert.is(await webhooks.secretFor(u), s);
    const both = await Promise.all([webhooks.secretFor(u), webhooks.secretFor(u)]);
    assert.equal(both, [s, s]);
    const created = (await webhooks.exportOf({ userId: u })).secretCreated!;
    assert.ok(created >= before && created <= after, `${created} within [${before}, ${after}]`);
    assert.is.not(await webhooks.secretFor(await engine.createUser('secret-b')), s);
  });

  test("exportOf, activity and forget: an account's or an address's deliveries and lines, exact", async () => {
    const u = await engine.createUser('hooks-a');
    const v = await engine.createUser('hooks-b');
    const A = 'hooked@mailroom.test';
    const B = 'other@mailroom.test';
    const d1 = await engine.insertDelivery({ userId: u, address: A, messageId: 'msg1', kind: 'webhook', url: 'https://a.example/h', created: T0, attempts: 2, nextAt: T0 + 10, state: 'delivered' });
    const d2 = await engine.insertDelivery({ userId: u, address: A, messageId: 'msg2', kind: 'slack', url: 'https://hooks.slack.com/x', created: T0 + 1, attempts: 0, nextAt: T0 + 1, state: 'pending' });
    const d3 = await engine.insertDelivery({ userId: u, address: B, messageId: 'msg3', kind: 'webhook', url: 'https://a.example/h', created: T0 + 2, attempts: 1, nextAt: T0 + 5, state: 'failed' });
    // The address's next owner: hers stay apart.
    const d4 = await engine.insertDelivery({ userId: v, address: A, messageId: 'msg4', kind: 'webhook', url: 'https://b.example/h', created: T0 + 3, attempts: 1, nextAt: T0 + 3, state: 'delivered' });
    const line = (d: number, user: number, address: string, at: number, attempt: number, status: number | null, error = '') =>
      ({ deliveryId: d, userId: user, address, messageId: `msg-${d}`, url: 'https://a.example/h', at, attempt, status, latencyMs: 40 + attempt, error }) satisfies ActivityRow;
    const a1 = await engine.insertActivity(line(d1, u, A, T0 + 100, 1, 500, 'HTTP 500'));
    const a2 = await engine.insertActivity(line(d1, u, A, T0 + 200, 2, 200));
    const a3 = await engine.insertActivity(line(d3, u, B, T0 + 200, 1, null, 'connect ECONNREFUSED'));
    const a4 = await engine.insertActivity(line(d4, v, A, T0 + 200, 1, 204));
    const a5 = await engine.insertActivity(line(d1, u, A, T0 + 200, 3, 202));

    // Activity carries no account: the line's owner is asked of activity() by userId.
    const view = (id: number, { userId: _owner, ...l }: ActivityRow) => ({ id, ...l });
    assert.equal(await webhooks.activity(A), [view(a5, line(d1, u, A, T0 + 200, 3, 202)), view(a4, line(d4, v, A, T0 + 200, 1, 204)), view(a2, line(d1, u, A, T0 + 200, 2, 200)), view(a1, line(d1, u, A, T0 + 100, 1, 500, 'HTTP 500'))]);
    assert.equal((await webhooks.activity(A, 2)).map((x) => x.id), [a5, a4]);
    assert.equal((await webhooks.activity(A, 100, u)).map((x) => x.id), [a5, a2, a1]);
    assert.equal((await webhooks.activity(A, 100, v)).map((x) => x.id), [a4]);
    assert.equal(await webhooks.activity('nobody@mailroom.test'), []);

    const byAccount = await webhooks.exportOf({ userId: u });
    assert.is(byAccount.secretCreated, null);
    assert.equal(byAccount.deliveries, [
      { id: d1, userId: u, address: A, messageId: 'msg1', kind: 'webhook', url: 'https://a.example/h', created: T0, attempts: 2, nextAt: T0 + 10, state: 'delivered' },
      { id: d2, userId: u, address: A, messageId: 'msg2', kind: 'slack', url: 'https://hooks.slack.com/x', created: T0 + 1, attempts: 0, nextAt: T0 + 1, state: 'pending' },
      { id: d3, userId: u, address: B, messageId: 'msg3', kind: 'webhook', url: 'https://a.example/h', created: T0 + 2, attempts: 1, nextAt: T0 + 5, state: 'failed' },
    ]);
    assert.equal(byAccount.activity.map((x) => x.id), [a1, a2, a3, a5]);
    const byAddress = await webhooks.exportOf({ address: A });
    assert.is(byAddress.secretCreated, null, 'an address has no secret');
    assert.equal(byAddress.deliveries.map((d) => d.id), [d1, d2, d4]);
    assert.equal(byAddress.activity.map((x) => x.id), [a1, a2, a4, a5]);

    // An address: whoever's lines they were.
    assert.equal(await webhooks.forget({ address: A }), { deliveries: 3, activity: 4 });
    assert.equal(await webhooks.forget({ address: A }), { deliveries: 0, activity: 0 });
    assert.equal(await webhooks.exportOf({ userId: v }), { secretCreated: null, deliveries: [], activity: [] });
    // An account: the rest of its lines and its secret.
    const secret = await webhooks.secretFor(u);
    assert.equal(await webhooks.forget({ userId: u }), { deliveries: 1, activity: 1 });
    assert.equal(await webhooks.exportOf({ userId: u }), { secretCreated: null, deliveries: [], activity: [] });
    assert.is.not(await webhooks.secretFor(u), secret, 'a forgotten secret is not given again');
  });

  // ---- in a transaction

  test('inside a transaction: writes commit together, or none when it throws', async () => {
    const u = await engine.createUser('tx-a');
    const failed = await engine
      .transaction(async (tx) => {
        await tx.billing.recordEvent('evt_tx_1', 'checkout.session.completed', T0);
        await tx.billing.setCustomer(u, 'cus_tx', T0);
        await tx.captureUsage.add(u, T0, 5);
        assert.is((await tx.billing.customerOf(u))!.customerId, 'cus_tx', 'the transaction reads its own write');
        throw new Error('rolled back');
      })
      .then(
        () => null,
        (err: Error) => err.message,
      );
    assert.is(failed, 'rolled back');
    assert.is(await billing.hasEvent('evt_tx_1'), false);
    assert.is(await billing.customerOf(u), null);
    assert.is(await captureUsage.used(u, T0), 0);
    const applied = await engine.transaction(async (tx) => {
      if (!(await tx.billing.recordEvent('evt_tx_2', 'checkout.session.completed', T0))) return false;
      await tx.billing.setCustomer(u, 'cus_tx', T0);
      await tx.billing.recordRelease({ userId: u, address: 'tx@mailroom.test', wiped: false, at: T0 });
      return true;
    });
    assert.is(applied, true);
    assert.is(await billing.hasEvent('evt_tx_2'), true);
    assert.equal(await billing.customerOf(u), { userId: u, customerId: 'cus_tx', created: T0 });
    assert.is(await billing.forgetAccount(u), 2);
  });
}
