// The stripe client, built from the config (issue 15); null while billing is
// off. billing.stripe.apiBase becomes the client's host/port/protocol options,
// which is how the tests point it at their stand-in server.
import { createRequire } from 'node:module';
import type Stripe from 'stripe';
import type { Config } from '../config.js';

// Required when billing is on, not imported at start: the stripe package is
// ~4 MB of heap in every server that never bills (issue 16, RSS). require,
// not import(), keeps stripeClient synchronous; the package ships a CommonJS
// build for it.
const require = createRequire(import.meta.url);

export function billingEnabled(config: Pick<Config, 'billing'>): boolean {
  return config.billing.stripe.secretKey !== '';
}

export function stripeClient(config: Pick<Config, 'billing'>): Stripe | null {
  if (!billingEnabled(config)) return null;
  const base = new URL(config.billing.stripe.apiBase);
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  const StripeClient = require('stripe') as typeof Stripe;
  return new StripeClient(config.billing.stripe.secretKey, {
    host: base.hostname,
    port: base.port || (protocol === 'http' ? 80 : 443),
    protocol,
    // One retry on a network error; a webhook Stripe sees fail is delivered again anyway.
    maxNetworkRetries: 1,
    timeout: 15_000,
    appInfo: { name: 'Mailroom' },
  });
}
