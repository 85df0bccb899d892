// The use-cases, built around their dependencies (no module singletons): the
// composition root (main.ts), the CLI and tests each build one.
import type { Config } from '../config.js';
import type { EngineStore } from '../store/engine-store.js';
import type { MessageEraser } from '../store/bulk-delete.js';
import { InboxService } from './inboxes.js';
import { AddressService } from './addresses.js';
import { AccountService } from './accounts.js';
import { BillingService } from './billing.js';
import { stripeClient } from './stripe-client.js';
import type { Logger } from '../log.js';
import type Stripe from 'stripe';
import { DomainService, type MxResolver, type TxtResolver } from './domains.js';

export interface Services {
  inboxes: InboxService;
  addresses: AddressService;
  accounts: AccountService;
  /** Plans, Stripe Checkout and webhook, entitlements (issue 15); billing.enabled false while off. */
  billing: BillingService;
  /** Domains added by accounts (issue 12). */
  domains: DomainService;
  /** Bulk deletes: the writer thread in the appliance, the own connection in the CLI. */
  eraser: MessageEraser;
}

export function createServices(deps: { store: EngineStore; config: Config; eraser: MessageEraser; log?: Logger; stripe?: Stripe | null; resolveTxt?: TxtResolver; resolveMx?: MxResolver }): Services {
  // Reserving asks billing for credits and billing releases through addresses: the closure breaks the cycle.
  let billing: BillingService | null = null;
  const addresses = new AddressService({ ...deps, credits: async (userId) => (await billing?.creditsFor(userId)) ?? null });
  billing = new BillingService({ store: deps.store, config: deps.config, addresses, log: deps.log, stripe: deps.stripe === undefined ? stripeClient(deps.config) : deps.stripe });
  return {
    inboxes: new InboxService(deps),
    addresses,
    accounts: new AccountService(deps),
    billing,
    domains: new DomainService({ ...deps, credits: async (userId) => (await billing?.domainCreditsFor(userId)) ?? null }),
    eraser: deps.eraser,
  };
}
