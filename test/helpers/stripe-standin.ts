// A stand-in for the few Stripe API endpoints Mailroom calls (issue 15):
// a real HTTP server on 127.0.0.1:0 that the real stripe client is pointed at
// (billing.stripe.apiBase -> its host/port/protocol options). It records
// every request and answers with Stripe-shaped objects; tests set the
// subscriptions' current state, which subscriptions.retrieve returns.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The form-encoded body, flattened (Stripe's bracket names as keys, e.g. line_items[0][price]). */
  form: Record<string, string>;
  authorization: string;
}

export interface StandInSubscription {
  id: string;
  customer: string;
  status: string;
  price: string;
  metadata?: Record<string, string>;
}

export class StripeStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly subscriptions = new Map<string, StandInSubscription>();
  /** While true every request gets a 500 (Stripe unreachable or failing). */
  down = false;
  private server!: http.Server;
  private seq = 0;
  base = '';

  static async start(): Promise<StripeStandIn> {
    const s = new StripeStandIn();
    s.server = http.createServer((req, res) => void s.handle(req, res));
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.base = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Requests to a path (method and path as "POST /v1/customers"). */
  calls(what: string): RecordedRequest[] {
    return this.requests.filter((r) => `${r.method} ${r.path}` === what || (what.endsWith('*') && `${r.method} ${r.path}`.startsWith(what.slice(0, -1))));
  }

  /** The Stripe object for a stored subscription, as the API returns it. */
  subscriptionObject(s: StandInSubscription): Record<string, unknown> {
    return {
      id: s.id,
      object: 'subscription',
      customer: s.customer,
      status: s.status,
      metadata: s.metadata ?? {},
      livemode: false,
      items: { object: 'list', data: [{ id: `si_${s.id}`, object: 'subscription_item', price: { id: s.price, object: 'price' }, quantity: 1 }] },
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const body = Buffer.concat(chunks).toString('utf8');
    const form = Object.fromEntries(new URLSearchParams(body || url.search));
    this.requests.push({ method: req.method ?? '', path: url.pathname, form, authorization: req.headers.authorization ?? '' });
    const send = (status: number, obj: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${++this.seq}` });
      res.end(JSON.stringify(obj));
    };
    if (this.down) return send(500, { error: { type: 'api_error', message: 'stand-in is down' } });
    const missing = () => send(404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such object' } });
    const p = url.pathname;
    if (req.method === 'POST' && p === '/v1/customers') {
      return send(200, { id: `cus_${++this.seq}`, object: 'customer', email: form.email ?? null, metadata: {} });
    }
    if (req.method === 'POST' && p === '/v1/checkout/sessions') {
      const id = `cs_test_${++this.seq}`;
      return send(200, { id, object: 'checkout.session', mode: form.mode, customer: form.customer, client_reference_id: form.client_reference_id, url: `https://checkout.stripe.com/c/pay/${id}` });
    }
    if (req.method === 'POST' && p === '/v1/billing_portal/sessions') {
      const id = `bps_${++this.seq}`;
      return send(200, { id, object: 'billing_portal.session', customer: form.customer, return_url: form.return_url, url: `https://billing.stripe.com/p/session/${id}` });
    }
    const m = /^\/v1\/subscriptions\/([^/]+)$/.exec(p);
    if (m) {
      const sub = this.subscriptions.get(decodeURIComponent(m[1]!));
      if (!sub) return missing();
      if (req.method === 'DELETE') {
        // As Stripe: a canceled subscription cannot be canceled again.
        if (sub.status === 'canceled') return send(400, { error: { type: 'invalid_request_error', message: `No such subscription: '${sub.id}'` } });
        sub.status = 'canceled';
      }
      return send(200, this.subscriptionObject(sub));
    }
    return missing();
  }
}

/** A webhook delivery as Stripe sends it: the JSON body and its Stripe-Signature header, signed with the package's own helper. */
export function signedEvent(secret: string, type: string, object: Record<string, unknown>, opts: { id?: string; created?: number; signedAt?: number } = {}): { body: string; signature: string; id: string } {
  const id = opts.id ?? `evt_${Math.random().toString(36).slice(2)}`;
  const body = JSON.stringify({ id, object: 'event', api_version: '2026-10-28.endive', created: opts.created ?? Math.floor(Date.now() / 1000), type, livemode: false, data: { object } });
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, ...(opts.signedAt !== undefined ? { timestamp: opts.signedAt } : {}) });
  return { body, signature, id };
}
