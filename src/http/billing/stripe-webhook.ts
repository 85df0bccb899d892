// POST /billing/stripe/webhook (issue 15; GUIDE contracts). Stripe signs each
// delivery; the signature is checked on the raw bytes (so the body is read
// as bytes here, never parsed first) and there is no CSRF token: the
// signature is the proof of origin. 400 for a wrong or missing signature,
// with nothing changed; 200 once an event is applied or was already applied
// (Stripe retries anything else). Not mounted while billing is off.
import { Hono } from 'hono';
import type { AppEnv, HttpDeps } from '../deps.js';

export const STRIPE_WEBHOOK_PATH = '/billing/stripe/webhook';

export function stripeWebhookRoutes(deps: HttpDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const billing = deps.services.billing;
  app.post(STRIPE_WEBHOOK_PATH, async (c) => {
    if (!billing.enabled) return c.json({ error: 'billing is off' }, 404);
    const raw = Buffer.from(await c.req.arrayBuffer());
    const r = await billing.handleWebhook(raw, c.req.header('stripe-signature'));
    if (!r.ok) return c.json({ error: r.reason === 'bad-signature' ? 'signature does not verify' : 'billing is off' }, r.reason === 'bad-signature' ? 400 : 404);
    return c.json({ received: true, applied: r.value.applied });
  });
  return app;
}
