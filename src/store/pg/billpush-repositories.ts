// Billing, capture usage and the account side of webhooks on the PostgreSQL
// engine (issue 14): the SQL of BillingStore (billing.ts), CaptureUsageStore
// (capture-usage.ts) and WebhookStore's secretFor, exportOf, forget and
// activity (webhooks.ts) against the same tables (migrations/001, 003), with
// the same answers (test/store/billpush-repositories-contract.ts runs on
// both engines). What SQLite does in a transaction of several statements is
// one statement here (data-modifying CTEs), so it is atomic whether `q` is
// the pool or a transaction of Repositories.transaction.
import type { Sql, TransactionSql } from './driver.js';
import type { Repositories } from '../repositories.js';
import { subscriptionView, type BillingRelease, type BillingSubscription } from '../billing.js';
import { captureMonth } from '../capture-usage.js';
import { activityView, deliveryView, newSecret } from '../webhooks.js';

type Row = Record<string, any>;

export function pgBillpushRepositories(q: Sql | TransactionSql): Pick<Repositories, 'billing' | 'captureUsage' | 'webhooks'> {
  // A TransactionSql is called like a Sql; postgres.js types them apart.
  const sql = q as Sql;
  return {
    billing: {
      async customerOf(userId) {
        const [r] = await sql<Row[]>`SELECT user_id, customer_id, created FROM billing_customers WHERE user_id = ${userId}`;
        return r ? { userId: r.user_id, customerId: r.customer_id, created: r.created } : null;
      },
      async userOfCustomer(customerId) {
        const [r] = await sql<{ user_id: number }[]>`SELECT user_id FROM billing_customers WHERE customer_id = ${customerId}`;
        return r?.user_id ?? null;
      },
      async setCustomer(userId, customerId, now = Date.now()) {
        await sql`INSERT INTO billing_customers (user_id, customer_id, created) VALUES (${userId}, ${customerId}, ${now})
          ON CONFLICT (user_id) DO UPDATE SET customer_id = excluded.customer_id`;
      },
      async subscription(id) {
        const [r] = await sql<Row[]>`SELECT * FROM billing_subscriptions WHERE subscription_id = ${id}`;
        return r ? subscriptionView(r) : null;
      },
      async subscriptionsOf(userId) {
        const rows = await sql<Row[]>`SELECT * FROM billing_subscriptions WHERE user_id = ${userId} ORDER BY updated DESC, created DESC`;
        return rows.map(subscriptionView);
      },
      async saveSubscription(s: BillingSubscription) {
        await sql`INSERT INTO billing_subscriptions (subscription_id, user_id, customer_id, price_id, status, lapsed_at, grace_until, enforced_at, created, updated)
          VALUES (${s.subscriptionId}, ${s.userId}, ${s.customerId}, ${s.priceId}, ${s.status}, ${s.lapsedAt}, ${s.graceUntil}, ${s.enforcedAt}, ${s.created}, ${s.updated})
          ON CONFLICT (subscription_id) DO UPDATE SET user_id = excluded.user_id, customer_id = excluded.customer_id, price_id = excluded.price_id,
            status = excluded.status, lapsed_at = excluded.lapsed_at, grace_until = excluded.grace_until, enforced_at = excluded.enforced_at, updated = excluded.updated`;
      },
      async graceEnded(now) {
        const rows = await sql<Row[]>`SELECT * FROM billing_subscriptions
          WHERE grace_until IS NOT NULL AND enforced_at IS NULL AND grace_until <= ${now} ORDER BY grace_until`;
        return rows.map(subscriptionView);
      },
      async markEnforced(subscriptionId, now) {
        await sql`UPDATE billing_subscriptions SET enforced_at = ${now} WHERE subscription_id = ${subscriptionId}`;
      },
      async hasEvent(eventId) {
        const rows = await sql`SELECT 1 FROM billing_events WHERE event_id = ${eventId}`;
        return rows.length > 0;
      },
      async recordEvent(eventId, type, now = Date.now()) {
        const r = await sql`INSERT INTO billing_events (event_id, type, received) VALUES (${eventId}, ${type}, ${now}) ON CONFLICT (event_id) DO NOTHING`;
        return r.count > 0;
      },
      async recordRelease(r: BillingRelease) {
        await sql`INSERT INTO billing_releases (user_id, address, wiped, at) VALUES (${r.userId}, ${r.address}, ${r.wiped}, ${r.at})`;
      },
      async releasesOf(userId, limit = 50) {
        const rows = await sql<Row[]>`SELECT user_id, address, wiped, at FROM billing_releases WHERE user_id = ${userId} ORDER BY at DESC, id DESC LIMIT ${limit}`;
        return rows.map((r) => ({ userId: r.user_id, address: r.address, wiped: r.wiped, at: r.at }));
      },
      async forgetAccount(userId) {
        const [{ n }] = await sql<{ n: number }[]>`
          WITH s AS (DELETE FROM billing_subscriptions WHERE user_id = ${userId} RETURNING 1),
               c AS (DELETE FROM billing_customers WHERE user_id = ${userId} RETURNING 1),
               r AS (DELETE FROM billing_releases WHERE user_id = ${userId} RETURNING 1)
          SELECT ((SELECT count(*) FROM s) + (SELECT count(*) FROM c) + (SELECT count(*) FROM r))::int AS n`;
        return n;
      },
    },

    captureUsage: {
      async used(userId, at) {
        const [r] = await sql<{ messages: number }[]>`SELECT messages FROM capture_usage WHERE user_id = ${userId} AND month = ${captureMonth(at)}`;
        return r?.messages ?? 0;
      },
      async months(userId) {
        const rows = await sql<{ month: string; messages: number }[]>`SELECT month, messages FROM capture_usage WHERE user_id = ${userId} ORDER BY month`;
        return rows.map((r) => ({ month: r.month, messages: r.messages }));
      },
      async add(userId, at, messages) {
        if (messages <= 0) return;
        await sql`INSERT INTO capture_usage (user_id, month, messages) VALUES (${userId}, ${captureMonth(at)}, ${messages})
          ON CONFLICT (user_id, month) DO UPDATE SET messages = capture_usage.messages + excluded.messages`;
      },
    },

    webhooks: {
      async secretFor(userId) {
        const read = async () => (await sql<{ secret: string }[]>`SELECT secret FROM webhook_secrets WHERE user_id = ${userId}`)[0]?.secret;
        const existing = await read();
        if (existing) return existing;
        // Two first uses at once (two nodes): one insert wins, both answer its secret.
        await sql`INSERT INTO webhook_secrets (user_id, secret, created) VALUES (${userId}, ${newSecret()}, ${Date.now()}) ON CONFLICT (user_id) DO NOTHING`;
        return (await read())!;
      },
      async exportOf(s) {
        if ('userId' in s) {
          const [secret] = await sql<{ created: number }[]>`SELECT created FROM webhook_secrets WHERE user_id = ${s.userId}`;
          const deliveries = await sql<Row[]>`SELECT * FROM webhook_deliveries WHERE user_id = ${s.userId} ORDER BY id`;
          const activity = await sql<Row[]>`SELECT * FROM webhook_activity WHERE user_id = ${s.userId} ORDER BY id`;
          return { secretCreated: secret?.created ?? null, deliveries: deliveries.map(deliveryView), activity: activity.map(activityView) };
        }
        const deliveries = await sql<Row[]>`SELECT * FROM webhook_deliveries WHERE address = ${s.address} ORDER BY id`;
        const activity = await sql<Row[]>`SELECT * FROM webhook_activity WHERE address = ${s.address} ORDER BY id`;
        return { secretCreated: null, deliveries: deliveries.map(deliveryView), activity: activity.map(activityView) };
      },
      async forget(s) {
        const [r] =
          'userId' in s
            ? await sql<{ deliveries: number; activity: number }[]>`
                WITH k AS (DELETE FROM webhook_secrets WHERE user_id = ${s.userId}),
                     d AS (DELETE FROM webhook_deliveries WHERE user_id = ${s.userId} RETURNING 1),
                     a AS (DELETE FROM webhook_activity WHERE user_id = ${s.userId} RETURNING 1)
                SELECT (SELECT count(*) FROM d)::int AS deliveries, (SELECT count(*) FROM a)::int AS activity`
            : await sql<{ deliveries: number; activity: number }[]>`
                WITH d AS (DELETE FROM webhook_deliveries WHERE address = ${s.address} RETURNING 1),
                     a AS (DELETE FROM webhook_activity WHERE address = ${s.address} RETURNING 1)
                SELECT (SELECT count(*) FROM d)::int AS deliveries, (SELECT count(*) FROM a)::int AS activity`;
        return { deliveries: r!.deliveries, activity: r!.activity };
      },
      async activity(address, limit = 100, userId) {
        const rows =
          userId === undefined
            ? await sql<Row[]>`SELECT * FROM webhook_activity WHERE address = ${address} ORDER BY at DESC, id DESC LIMIT ${limit}`
            : await sql<Row[]>`SELECT * FROM webhook_activity WHERE address = ${address} AND user_id = ${userId} ORDER BY at DESC, id DESC LIMIT ${limit}`;
        return rows.map(activityView);
      },
    },
  };
}
