// API routes for webhooks (issue 11): the owner's view of every delivery
// attempt for an address (Mailsac's Recent Activity: time, URL, status,
// latency, attempt, error) and the account's signing secret. Registered
// through the API's registry so /api/openapi.json lists them.
import type { Context } from 'hono';
import type { AppEnv, WebDeps } from '../http/deps.js';
import type { ApiRegistry } from '../http/api/registry.js';
import { canonicalAddress } from '../policy/address.js';
import { isAdmin, principalFrom } from '../http/middleware/principal.js';

type C = Context<AppEnv>;
type ApiErr = (c: C, status: 400 | 401 | 403 | 404, message: string) => Response;

export function registerWebhookRoutes(reg: ApiRegistry, deps: WebDeps, apiError: ApiErr): void {
  const webhooks = deps.store.data.webhooks;

  reg.route(
    'get',
    '/addresses/:email/webhook-activity',
    {
      operationId: 'WebhookActivity',
      summary: "Recent webhook and Slack delivery attempts for one of your addresses (newest first, kept 7 days)",
      tags: ['Addresses'],
      auth: 'key',
      pathDocs: { email: 'A private address you own' },
      query: [{ name: 'limit', type: 'integer', description: 'At most this many (default 100, max 1000)' }],
      responses: { 200: 'Attempts', 400: 'Bad address', 401: 'No key, or an address owned by another account' },
      returns: 'WebhookActivity',
    },
    async (c) => {
      const p = principalFrom(c);
      if (p.kind !== 'user') return apiError(c, 401, p.badKey ? 'Invalid API key' : 'An API key is required: send it in the Mailsac-Key header');
      const a = canonicalAddress(c.req.param('email') ?? '');
      if (!a) return apiError(c, 400, 'Invalid email address');
      const owner = await deps.store.data.addresses.ownerOf(a.inbox);
      // Another account's address: 401, as Mailsac documents for GET /addresses/{email}. An
      // unowned address has no webhook: its list is empty (an earlier owner's stays theirs).
      if (!isAdmin(p) && owner !== null && owner !== p.user.id) return apiError(c, 401, 'This address is owned by another account');
      const limit = Math.max(1, Math.min(1000, Number(c.req.query('limit')) || 100));
      return c.json(
        (await webhooks.activity(a.inbox, limit, isAdmin(p) ? undefined : p.user.id)).map((x) => ({
          time: new Date(x.at).toISOString(),
          url: x.url,
          status: x.status,
          latencyMs: x.latencyMs,
          attempt: x.attempt,
          error: x.error || null,
          messageId: x.messageId,
          deliveryId: x.deliveryId,
        })),
      );
    },
  );

  reg.route(
    'get',
    '/me/webhook-secret',
    {
      operationId: 'WebhookSecret',
      summary: 'The secret your webhooks are signed with (Mailroom-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">)',
      tags: ['Account'],
      auth: 'key',
      responses: { 200: '{ secret }', 401: 'No key' },
      returns: 'WebhookSecret',
    },
    async (c) => {
      const p = principalFrom(c);
      if (p.kind !== 'user') return apiError(c, 401, p.badKey ? 'Invalid API key' : 'An API key is required: send it in the Mailsac-Key header');
      return c.json({ secret: await webhooks.secretFor(p.user.id) });
    },
  );
}
