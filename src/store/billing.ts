// Billing records (migration 012, issue 15): which Stripe customer an account
// is, its subscriptions as Stripe last reported them, the webhook events
// already applied, and the addresses released when a plan lapsed. Only ids,
// a price, a status and times: never card data.
import type { DB } from './db.js';

export interface BillingCustomer {
  userId: number;
  customerId: string;
  created: number;
}

export interface BillingSubscription {
  subscriptionId: string;
  userId: number;
  customerId: string;
  priceId: string;
  status: string;
  lapsedAt: number | null;
  graceUntil: number | null;
  enforcedAt: number | null;
  created: number;
  updated: number;
}

export interface BillingRelease {
  userId: number;
  address: string;
  wiped: boolean;
  at: number;
}

type Row = Record<string, any>;

export class BillingStore {
  private readonly stmts;

  constructor(private readonly db: DB) {
    this.stmts = {
      customerOf: db.prepare(`SELECT * FROM billing_customers WHERE user_id = ?`),
      userOfCustomer: db.prepare(`SELECT user_id FROM billing_customers WHERE customer_id = ?`).pluck(),
      insertCustomer: db.prepare(`INSERT INTO billing_customers (user_id, customer_id, created) VALUES (?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET customer_id = excluded.customer_id`),
      subscription: db.prepare(`SELECT * FROM billing_subscriptions WHERE subscription_id = ?`),
      subscriptionsOf: db.prepare(`SELECT * FROM billing_subscriptions WHERE user_id = ? ORDER BY updated DESC, created DESC`),
      upsertSubscription: db.prepare(
        `INSERT INTO billing_subscriptions (subscription_id, user_id, customer_id, price_id, status, lapsed_at, grace_until, enforced_at, created, updated)
         VALUES (@subscriptionId, @userId, @customerId, @priceId, @status, @lapsedAt, @graceUntil, @enforcedAt, @created, @updated)
         ON CONFLICT(subscription_id) DO UPDATE SET user_id = excluded.user_id, customer_id = excluded.customer_id, price_id = excluded.price_id,
           status = excluded.status, lapsed_at = excluded.lapsed_at, grace_until = excluded.grace_until, enforced_at = excluded.enforced_at, updated = excluded.updated`,
      ),
      graceEnded: db.prepare(`SELECT * FROM billing_subscriptions WHERE grace_until IS NOT NULL AND enforced_at IS NULL AND grace_until <= ? ORDER BY grace_until`),
      markEnforced: db.prepare(`UPDATE billing_subscriptions SET enforced_at = ? WHERE subscription_id = ?`),
      seenEvent: db.prepare(`SELECT 1 FROM billing_events WHERE event_id = ?`).pluck(),
      insertEvent: db.prepare(`INSERT OR IGNORE INTO billing_events (event_id, type, received) VALUES (?, ?, ?)`),
      eventCount: db.prepare(`SELECT count(*) FROM billing_events`).pluck(),
      insertRelease: db.prepare(`INSERT INTO billing_releases (user_id, address, wiped, at) VALUES (?, ?, ?, ?)`),
      releasesOf: db.prepare(`SELECT * FROM billing_releases WHERE user_id = ? ORDER BY at DESC, id DESC LIMIT ?`),
    };
  }

  customerOf(userId: number): BillingCustomer | null {
    const r = this.stmts.customerOf.get(userId) as Row | undefined;
    return r ? { userId: r.user_id, customerId: r.customer_id, created: r.created } : null;
  }

  userOfCustomer(customerId: string): number | null {
    return (this.stmts.userOfCustomer.get(customerId) as number | undefined) ?? null;
  }

  setCustomer(userId: number, customerId: string, now = Date.now()): void {
    this.stmts.insertCustomer.run(userId, customerId, now);
  }

  subscription(id: string): BillingSubscription | null {
    const r = this.stmts.subscription.get(id) as Row | undefined;
    return r ? subscriptionView(r) : null;
  }

  /** The account's subscriptions, most recently changed first. */
  subscriptionsOf(userId: number): BillingSubscription[] {
    return (this.stmts.subscriptionsOf.all(userId) as Row[]).map(subscriptionView);
  }

  saveSubscription(s: BillingSubscription): void {
    this.stmts.upsertSubscription.run(s);
  }

  /** Lapsed subscriptions whose grace period is over and whose release has not run. */
  graceEnded(now: number): BillingSubscription[] {
    return (this.stmts.graceEnded.all(now) as Row[]).map(subscriptionView);
  }

  markEnforced(subscriptionId: string, now: number): void {
    this.stmts.markEnforced.run(now, subscriptionId);
  }

  hasEvent(eventId: string): boolean {
    return this.stmts.seenEvent.get(eventId) === 1;
  }

  /** Records an event id; false when it was already there (a replay). Call inside the transaction that applies it. */
  recordEvent(eventId: string, type: string, now = Date.now()): boolean {
    return this.stmts.insertEvent.run(eventId, type, now).changes > 0;
  }

  eventCount(): number {
    return this.stmts.eventCount.get() as number;
  }

  recordRelease(r: BillingRelease): void {
    this.stmts.insertRelease.run(r.userId, r.address, r.wiped ? 1 : 0, r.at);
  }

  releasesOf(userId: number, limit = 50): BillingRelease[] {
    return (this.stmts.releasesOf.all(userId, limit) as Row[]).map((r) => ({ userId: r.user_id, address: r.address, wiped: r.wiped === 1, at: r.at }));
  }

  /** Deletes every billing record of the account (account deletion). Returns how many rows went. */
  forgetAccount(userId: number): number {
    const db = this.db;
    return db.transaction(
      () =>
        db.prepare(`DELETE FROM billing_subscriptions WHERE user_id = ?`).run(userId).changes +
        db.prepare(`DELETE FROM billing_customers WHERE user_id = ?`).run(userId).changes +
        db.prepare(`DELETE FROM billing_releases WHERE user_id = ?`).run(userId).changes,
    )();
  }
}

/** A billing_subscriptions row as a BillingSubscription (both engines' columns are the same). */
export function subscriptionView(r: Row): BillingSubscription {
  return {
    subscriptionId: r.subscription_id,
    userId: r.user_id,
    customerId: r.customer_id,
    priceId: r.price_id,
    status: r.status,
    lapsedAt: r.lapsed_at ?? null,
    graceUntil: r.grace_until ?? null,
    enforcedAt: r.enforced_at ?? null,
    created: r.created,
    updated: r.updated,
  };
}
