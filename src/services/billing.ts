// Billing (issue 15): what an account may have now (its entitlements), buying
// through Stripe Checkout and the customer portal, the Stripe webhook, and
// what happens when a plan lapses. Payment details never reach Mailroom:
// Stripe holds them; Mailroom keeps ids, the price and the status
// (store/billing.ts).
//
// - Off (no billing.stripe.secretKey): no limits beyond today's.
// - On: an account's grant is the best plan among its subscriptions that
//   grant (active, trialing, past_due while Stripe retries the card) or are
//   inside their grace period after lapsing; otherwise billing.free.
// - Webhook events are verified on the raw body, applied once (event ids
//   stored in the transaction that applies them), and never trusted for the
//   subscription's state: the subscription is fetched from Stripe, so events
//   arriving out of order (Stripe does not promise an order) settle on what
//   Stripe says now.
import type Stripe from 'stripe';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { EngineStore } from '../store/engine-store.js';
import type { BillingSubscription } from '../store/billing.js';
import type { User } from '../store/users.js';
import type { AddressService } from './addresses.js';
import { ok, refuse, type Outcome } from './result.js';
import type { AccountRetention } from '../jobs/retention.js';
import type { Repositories } from '../store/repositories.js';

type Grant = Config['billing']['free'];
export type Plan = Config['billing']['plans'][number];

/** What an account may have now. null limits: no limit (billing off, or an admin). */
export interface Entitlements {
  billing: boolean;
  /** The plan granting it, or null for the free grant. */
  plan: Plan | null;
  /** The granting subscription's status (Stripe's word), or null. */
  status: string | null;
  /** Set while a lapsed subscription still grants its plan. */
  graceUntil: number | null;
  privateAddresses: number | null;
  customDomains: number | null;
  captureMessagesPerMonth: number | null;
  storageMessages: number | null;
  retentionDays: number | null;
}

/** Stripe statuses in which a subscription grants its plan (past_due: Stripe is still retrying the payment). */
const GRANTING = new Set(['active', 'trialing', 'past_due']);

/** The words both the account page and the API use when a reservation is over the plan. */
export const UPGRADE_HINT = 'All the private addresses your plan allows are in use. To reserve more, upgrade your plan on your account page (/account).';
/** The same for adding a custom domain (customDomains). */
export const DOMAIN_UPGRADE_HINT = 'All the custom domains your plan allows are in use. To add more, upgrade your plan on your account page (/account).';

const DAY = 86_400_000;

/** Where Checkout and the customer portal live: the account page's forms are redirected there. */
export const STRIPE_HOSTED_PAGES = ['https://checkout.stripe.com', 'https://billing.stripe.com'];

export type WebhookRefusal = 'off' | 'bad-signature';
export interface WebhookOutcome {
  eventId: string;
  type: string;
  /** false: a replay of an event already applied, or a type Mailroom does not act on. */
  applied: boolean;
}

export interface BillingServiceDeps {
  store: EngineStore;
  config: Pick<Config, 'billing' | 'privacy' | 'http'>;
  stripe: Stripe | null;
  addresses: AddressService;
  log?: Logger;
}

export interface ReleasedAddress {
  userId: number;
  address: string;
  wiped: boolean;
  deleted: number;
}

export class BillingService {
  constructor(private readonly deps: BillingServiceDeps) {}

  get enabled(): boolean {
    return this.deps.stripe !== null;
  }

  get plans(): Plan[] {
    return this.deps.config.billing.plans;
  }

  private stripe(): Stripe {
    if (!this.deps.stripe) throw new Error('billing is off');
    return this.deps.stripe;
  }

  // ------------------------------------------------------------------ entitlements

  async entitlements(user: Pick<User, 'id' | 'role'>, now = Date.now()): Promise<Entitlements> {
    const none = { plan: null, status: null, graceUntil: null };
    if (!this.enabled || user.role === 'admin') {
      return { billing: this.enabled, ...none, privateAddresses: null, customDomains: null, captureMessagesPerMonth: null, storageMessages: null, retentionDays: null };
    }
    let best: { plan: Plan; sub: BillingSubscription } | null = null;
    for (const sub of await this.deps.store.data.billing.subscriptionsOf(user.id)) {
      const grants = GRANTING.has(sub.status) || (sub.graceUntil !== null && sub.graceUntil > now);
      const plan = this.plans.find((p) => p.price === sub.priceId);
      if (!grants || !plan) continue;
      if (!best || plan.privateAddresses > best.plan.privateAddresses) best = { plan, sub };
    }
    const grant: Grant = best?.plan ?? this.deps.config.billing.free;
    return {
      billing: true,
      plan: best?.plan ?? null,
      status: best?.sub.status ?? null,
      graceUntil: best && !GRANTING.has(best.sub.status) ? best.sub.graceUntil : null,
      privateAddresses: grant.privateAddresses,
      customDomains: grant.customDomains,
      captureMessagesPerMonth: grant.captureMessagesPerMonth,
      storageMessages: grant.storageMessages,
      retentionDays: grant.retentionDays,
    };
  }

  /** How many more private addresses the account may reserve; null: no limit. */
  async addressCredits(user: Pick<User, 'id' | 'role'>, now = Date.now()): Promise<number | null> {
    const allowed = (await this.entitlements(user, now)).privateAddresses;
    if (allowed === null) return null;
    return Math.max(0, allowed - (await this.deps.store.data.addresses.countForOwner(user.id)));
  }

  /** addressCredits by user id (the addresses service asks this before reserving); null: no limit. */
  async creditsFor(userId: number, now = Date.now()): Promise<number | null> {
    if (!this.enabled) return null;
    const user = await this.deps.store.data.users.byId(userId);
    return user ? this.addressCredits(user, now) : 0;
  }

  /**
   * How many more custom domains the account may add (customDomains, issue
   * 15): every domain it added counts, verified or not, since adding one is
   * what the plan limits. 0 in a grant means none (config.ts). null: no limit.
   */
  async domainCredits(user: Pick<User, 'id' | 'role'>, now = Date.now()): Promise<number | null> {
    const allowed = (await this.entitlements(user, now)).customDomains;
    if (allowed === null) return null;
    return Math.max(0, allowed - (await this.deps.store.data.domains.listForOwner(user.id)).length);
  }

  /** domainCredits by user id (the domain service asks this before adding); null: no limit. */
  async domainCreditsFor(userId: number, now = Date.now()): Promise<number | null> {
    if (!this.enabled) return null;
    const user = await this.deps.store.data.users.byId(userId);
    return user ? this.domainCredits(user, now) : 0;
  }

  /**
   * Messages a month the account may send through Email Capture
   * (captureMessagesPerMonth; the capture port counts them per UTC month).
   * 0 in a grant means the plan has no capture (config.ts). null: no limit.
   */
  async captureAllowanceFor(userId: number, now = Date.now()): Promise<number | null> {
    if (!this.enabled) return null;
    const user = await this.deps.store.data.users.byId(userId);
    return user ? (await this.entitlements(user, now)).captureMessagesPerMonth : 0;
  }

  /**
   * What retention keeps of each account whose grant sets storageMessages or
   * retentionDays (issue 15); 0 in a grant leaves the retention settings in
   * force for that account, so it is not listed. Admins and billing off: none.
   */
  async retentionOverrides(now = Date.now()): Promise<AccountRetention[]> {
    if (!this.enabled) return [];
    const out: AccountRetention[] = [];
    for (const user of await this.deps.store.data.users.list()) {
      const e = await this.entitlements(user, now);
      const maxAgeMs = (e.retentionDays ?? 0) * DAY;
      const maxMessages = e.storageMessages ?? 0;
      if (maxAgeMs > 0 || maxMessages > 0) out.push({ userId: user.id, maxAgeMs, maxMessages });
    }
    return out;
  }

  // ------------------------------------------------------------------ buying

  /** The Stripe customer of this account, created on first use (its metadata names the account). */
  private async customerFor(user: User): Promise<string> {
    const known = await this.deps.store.data.billing.customerOf(user.id);
    if (known) return known.customerId;
    const customer = await this.stripe().customers.create({
      metadata: { mailroom_user: String(user.id), mailroom_username: user.username },
      ...(user.email ? { email: user.email } : {}),
    });
    await this.deps.store.data.billing.setCustomer(user.id, customer.id);
    return customer.id;
  }

  /** A Checkout Session (subscription mode) for one of the configured prices; its URL to redirect to. */
  async checkout(user: User, price: string, urls: { success: string; cancel: string }): Promise<Outcome<string, 'off' | 'unknown-price' | 'no-url'>> {
    if (!this.enabled) return refuse('off');
    if (!this.plans.some((p) => p.price === price)) return refuse('unknown-price');
    const customer = await this.customerFor(user);
    const session = await this.stripe().checkout.sessions.create({
      mode: 'subscription',
      customer,
      client_reference_id: String(user.id),
      line_items: [{ price, quantity: 1 }],
      subscription_data: { metadata: { mailroom_user: String(user.id) } },
      success_url: urls.success,
      cancel_url: urls.cancel,
    });
    return session.url ? ok(session.url) : refuse('no-url');
  }

  /** A customer portal session (change plan, card, cancel); its URL. */
  async portal(user: User, returnUrl: string): Promise<Outcome<string, 'off' | 'no-customer'>> {
    if (!this.enabled) return refuse('off');
    const known = await this.deps.store.data.billing.customerOf(user.id);
    if (!known) return refuse('no-customer');
    const session = await this.stripe().billingPortal.sessions.create({ customer: known.customerId, return_url: returnUrl });
    return ok(session.url);
  }

  // ------------------------------------------------------------------ webhook

  /**
   * Verifies and applies one webhook delivery. The signature is checked by
   * the stripe package on the exact bytes received (a re-serialized body
   * would not match).
   */
  async handleWebhook(raw: Buffer, signature: string | undefined, now = Date.now()): Promise<Outcome<WebhookOutcome, WebhookRefusal>> {
    if (!this.enabled) return refuse('off');
    let event: Stripe.Event;
    try {
      event = this.stripe().webhooks.constructEvent(raw, signature ?? '', this.deps.config.billing.stripe.webhookSecret);
    } catch {
      return refuse('bad-signature');
    }
    const { store } = this.deps;
    const outcome = (applied: boolean): WebhookOutcome => ({ eventId: event.id, type: event.type, applied });
    if (await store.data.billing.hasEvent(event.id)) return ok(outcome(false));

    // Read what is needed from Stripe first (network), then apply and record in one transaction.
    let customer: { userId: number; customerId: string } | null = null;
    let subscriptionId: string | null = null;
    const obj = event.data.object as unknown as Record<string, any>;
    switch (event.type) {
      case 'checkout.session.completed': {
        const userId = Number(obj.client_reference_id);
        const customerId = idOf(obj.customer);
        if (Number.isInteger(userId) && userId > 0 && customerId) customer = { userId, customerId };
        subscriptionId = idOf(obj.subscription);
        break;
      }
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
        subscriptionId = idOf(obj.id);
        break;
      case 'invoice.paid':
      case 'invoice.payment_failed':
        // API versions since 2025-03 name the subscription under parent; older ones at the top.
        subscriptionId = idOf(obj.parent?.subscription_details?.subscription) ?? idOf(obj.subscription);
        break;
      default:
        break;
    }
    const current = subscriptionId ? await this.currentSubscription(subscriptionId) : null;

    const applied = await store.data.transaction(async (tx) => {
      if (!(await tx.billing.recordEvent(event.id, event.type, now))) return false; // a concurrent delivery won
      if (customer && (await tx.users.byId(customer.userId))) await tx.billing.setCustomer(customer.userId, customer.customerId, now);
      if (current) await this.applySubscription(tx, current, now);
      return customer !== null || current !== null;
    });
    if (applied) this.deps.log?.info({ event: event.id, type: event.type, subscription: subscriptionId }, 'billing event applied');
    return ok(outcome(applied));
  }

  /**
   * The subscription as Stripe has it now; null when Stripe has no such
   * subscription (another account's test data, a deleted test clock), so the
   * event is recorded and not retried for days. Any other failure throws:
   * the webhook answers 500 and Stripe delivers the event again later.
   */
  private async currentSubscription(id: string): Promise<Stripe.Subscription | null> {
    try {
      return await this.stripe().subscriptions.retrieve(id);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) {
        this.deps.log?.warn({ subscription: id }, 'billing: Stripe has no such subscription');
        return null;
      }
      throw err;
    }
  }

  /** Stores Stripe's current state of a subscription; a change from granting to not starts the grace period. */
  private async applySubscription(tx: Omit<Repositories, 'transaction'>, sub: Stripe.Subscription, now: number): Promise<void> {
    const { config } = this.deps;
    const customerId = idOf(sub.customer) ?? '';
    const fromMeta = Number(sub.metadata?.mailroom_user);
    const userId = (Number.isInteger(fromMeta) && fromMeta > 0 ? fromMeta : null) ?? (await tx.billing.userOfCustomer(customerId));
    if (userId === null || !(await tx.users.byId(userId))) {
      this.deps.log?.warn({ subscription: sub.id }, 'billing: subscription of no known account');
      return;
    }
    if (customerId && !(await tx.billing.customerOf(userId))) await tx.billing.setCustomer(userId, customerId, now);
    const before = await tx.billing.subscription(sub.id);
    const priceId = sub.items?.data?.[0]?.price?.id ?? '';
    const grantsNow = GRANTING.has(sub.status);
    let lapsedAt: number | null = null;
    let graceUntil: number | null = null;
    let enforcedAt: number | null = null;
    if (!grantsNow) {
      if (before && before.lapsedAt !== null) {
        // Still lapsed: the clock started at the first lapse keeps running.
        ({ lapsedAt, graceUntil, enforcedAt } = before);
      } else {
        lapsedAt = now;
        // Grace only for a plan that was granted; one that never was has nothing to wind down.
        const wasGranting = before !== null && GRANTING.has(before.status);
        graceUntil = wasGranting ? now + config.billing.gracePeriodDays * DAY : now;
      }
    }
    await tx.billing.saveSubscription({
      subscriptionId: sub.id,
      userId,
      customerId,
      priceId,
      status: sub.status,
      lapsedAt,
      graceUntil,
      enforcedAt,
      created: before?.created ?? now,
      updated: now,
    });
  }

  // ------------------------------------------------------------------ lapse

  /**
   * After a lapsed subscription's grace period: the account's private
   * addresses beyond what it is granted now are released, the oldest first,
   * as privacy.releaseDeletesMail says, each written to the audit log and to
   * the account's billing releases (shown on the account page). Run by the
   * scheduler (jobs/billing-grace.ts); safe to run again.
   */
  async enforceGracePeriods(now = Date.now()): Promise<ReleasedAddress[]> {
    if (!this.enabled) return [];
    const { store } = this.deps;
    const released: ReleasedAddress[] = [];
    for (const sub of await store.data.billing.graceEnded(now)) {
      const user = await store.data.users.byId(sub.userId);
      await store.data.billing.markEnforced(sub.subscriptionId, now);
      if (!user) continue;
      const allowed = (await this.entitlements(user, now)).privateAddresses;
      if (allowed === null) continue;
      const owned = (await store.data.addresses.listForOwner(user.id)).sort((a, b) => a.created - b.created || a.address.localeCompare(b.address));
      const excess = owned.slice(0, Math.max(0, owned.length - allowed));
      for (const a of excess) {
        const r = await this.deps.addresses.release(a.address);
        const at = Date.now();
        await store.data.transaction(async (tx) => {
          await tx.billing.recordRelease({ userId: user.id, address: a.address, wiped: r.wiped, at });
          await tx.audit.record({
            actor: 'system',
            action: 'billing-release',
            target: a.address,
            detail: { account: user.username, subscription: sub.subscriptionId, status: sub.status, allowed, wiped: r.wiped, messagesDeleted: r.deleted },
            at,
          });
        });
        released.push({ userId: user.id, address: a.address, wiped: r.wiped, deleted: r.deleted });
      }
      if (excess.length) this.deps.log?.info({ user: user.id, released: excess.length }, 'billing: grace period over, addresses released');
    }
    return released;
  }

  // ------------------------------------------------------------------ data rights

  /** The account's billing records, for its export. */
  async exportRecords(userId: number): Promise<Record<string, unknown> | null> {
    const { data } = this.deps.store;
    const customer = await data.billing.customerOf(userId);
    const subs = await data.billing.subscriptionsOf(userId);
    const releases = await data.billing.releasesOf(userId, 1000);
    const captured = await data.captureUsage.months(userId);
    if (!customer && !subs.length && !releases.length && !captured.length) return null;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      processor: 'Stripe',
      note: 'Mailroom stores these ids, the price, the status and dates; card and payment details are held by Stripe only.',
      customerId: customer?.customerId ?? null,
      subscriptions: subs.map((s) => ({
        subscriptionId: s.subscriptionId,
        priceId: s.priceId,
        plan: this.plans.find((p) => p.price === s.priceId)?.name ?? null,
        status: s.status,
        lapsedAt: iso(s.lapsedAt),
        graceUntil: iso(s.graceUntil),
        created: iso(s.created),
        updated: iso(s.updated),
      })),
      releasedAddresses: releases.map((r) => ({ address: r.address, mailDeleted: r.wiped, at: iso(r.at) })),
      // What the plan's captureMessagesPerMonth was counted against (UTC months).
      capturedPerMonth: captured,
    };
  }

  /**
   * Account deletion: cancels the account's subscriptions in Stripe first
   * (so nobody is billed for an account that is gone), then deletes the
   * local billing records. The Stripe customer itself stays with Stripe,
   * whose records the operator may have to keep (invoices, tax).
   */
  async forgetAccount(userId: number): Promise<{ canceled: number; records: number }> {
    const { store } = this.deps;
    let canceled = 0;
    if (this.enabled) {
      for (const s of await store.data.billing.subscriptionsOf(userId)) {
        if (s.status === 'canceled' || s.status === 'incomplete_expired') continue;
        try {
          await this.stripe().subscriptions.cancel(s.subscriptionId);
          canceled++;
        } catch (err) {
          // Already ended at Stripe (our row was stale) or gone: nothing left to cancel.
          // Anything else stops the deletion before it deletes anything.
          const now = await this.currentSubscription(s.subscriptionId);
          if (now && now.status !== 'canceled' && now.status !== 'incomplete_expired') throw err;
        }
      }
    }
    return { canceled, records: await store.data.billing.forgetAccount(userId) };
  }

  /** The account's latest subscription and releases, for its page. */
  async summary(user: User, now = Date.now()) {
    const { billing } = this.deps.store.data;
    return {
      entitlements: await this.entitlements(user, now),
      subscription: (await billing.subscriptionsOf(user.id))[0] ?? null,
      hasCustomer: (await billing.customerOf(user.id)) !== null,
      releases: await billing.releasesOf(user.id, 20),
    };
  }
}

function idOf(v: unknown): string | null {
  if (typeof v === 'string' && v) return v;
  if (v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string') return (v as { id: string }).id;
  return null;
}
