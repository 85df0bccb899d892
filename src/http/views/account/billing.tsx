// The account page's billing section (issue 15): the plan, its use, Checkout
// buttons for the configured plans, the Stripe customer portal, and the
// addresses released after a lapsed plan's grace period. Card details are
// entered on Stripe's pages, never here.
import type { Entitlements, Plan } from '../../../services/billing.js';
import type { BillingRelease, BillingSubscription } from '../../../store/billing.js';

export interface BillingProps {
  csrf: string;
  entitlements: Entitlements;
  plans: Plan[];
  subscription: BillingSubscription | null;
  hasCustomer: boolean;
  releases: BillingRelease[];
  /** captured: messages captured this UTC month (captureMessagesPerMonth); domains: custom domains added. */
  usage: { addresses: number; messages: number; bytes: number; captured: number; domains: number };
  /** Private addresses the free grant allows (billing.free.privateAddresses). */
  freeAddresses: number;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const limit = (n: number | null, zero: string) => (n === null ? 'no limit' : n === 0 ? zero : String(n));

function Csrf(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}

function grantSummary(g: Pick<Plan, 'privateAddresses' | 'customDomains' | 'captureMessagesPerMonth' | 'storageMessages' | 'retentionDays'>): string {
  return [
    `${g.privateAddresses} private address${g.privateAddresses === 1 ? '' : 'es'}`,
    g.customDomains ? `${g.customDomains} custom domain${g.customDomains === 1 ? '' : 's'}` : '',
    g.captureMessagesPerMonth ? `${g.captureMessagesPerMonth} captured messages a month` : '',
    g.storageMessages ? `${g.storageMessages} stored messages` : '',
    g.retentionDays ? `mail kept ${g.retentionDays} days` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

export function BillingSection(props: BillingProps) {
  const e = props.entitlements;
  const sub = props.subscription;
  const granting = e.plan !== null && e.graceUntil === null;
  return (
    <section id="billing">
      <h2>Plan</h2>
      <dl class="summary">
        <dt>Plan</dt>
        <dd id="billing-plan">{e.plan ? e.plan.name : 'Free'}{e.status ? ` (${e.status})` : ''}</dd>
        <dt>Includes</dt>
        <dd id="billing-grant">{e.privateAddresses === null ? 'no limits' : grantSummary(e as Parameters<typeof grantSummary>[0]) || 'nothing'}</dd>
        <dt>Private addresses</dt>
        <dd id="billing-addresses">
          {props.usage.addresses} of {limit(e.privateAddresses, '0')} reserved
        </dd>
        <dt>Custom domains</dt>
        <dd id="billing-domains">
          {props.usage.domains} of {limit(e.customDomains, '0')} added
        </dd>
        <dt>Captured this month</dt>
        <dd id="billing-captured">
          {props.usage.captured} of {limit(e.captureMessagesPerMonth, '0 (no Email Capture)')} (UTC month)
        </dd>
        <dt>Storage used</dt>
        <dd id="billing-storage">
          {props.usage.messages} message{props.usage.messages === 1 ? '' : 's'} ({Math.ceil(props.usage.bytes / 1024)} KB){e.storageMessages ? ` of ${e.storageMessages} messages` : ''}
        </dd>
      </dl>
      {e.graceUntil !== null ? (
        <p class="notice" role="status">
          Your subscription is {e.status}. Your plan stays until {day(e.graceUntil)}; after that, private addresses beyond the free plan's{' '}
          {props.freeAddresses} are released, the oldest first. Renew to keep them.
        </p>
      ) : sub && !granting && sub.status !== 'active' && sub.lapsedAt !== null ? (
        <p class="muted">Your last subscription is {sub.status}.</p>
      ) : null}
      {e.status === 'past_due' ? <p class="notice" role="status">Stripe could not take the last payment and will try again; update your card in the billing portal.</p> : null}
      {granting && props.hasCustomer ? null : (
        <div class="plans">
          {props.plans.map((p) => (
            <form method="post" action="/account/billing/checkout" class="inline">
              <Csrf token={props.csrf} />
              <input type="hidden" name="price" value={p.price} />
              <button type="submit">Subscribe: {p.name}</button> <span class="muted">{grantSummary(p)}</span>
            </form>
          ))}
        </div>
      )}
      {props.hasCustomer ? (
        <form method="post" action="/account/billing/portal">
          <Csrf token={props.csrf} />
          <button type="submit">Manage billing (change plan, card, invoices, cancel)</button>
        </form>
      ) : null}
      <p class="muted">Payments are handled by Stripe; card details go to Stripe, never to this server.</p>
      {props.releases.length ? (
        <>
          <h3>Released when a plan ended</h3>
          <ul id="billing-releases">
            {props.releases.map((r) => (
              <li>
                <span class="addr">{r.address}</span> released {day(r.at)}
                {r.wiped ? ', its mail deleted' : ', now public with its mail'}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
