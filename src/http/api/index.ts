// The Mailsac-compatible REST API under /api (issue 3). Paths, parameters and
// JSON shapes follow reference/mailsac-openapi.yml, so @mailsac/api works by
// changing its baseURL. Every route goes through ApiRegistry (registry.ts),
// which also feeds /api/openapi.json. One file per resource; this one mounts
// the middleware and the resources, in the order the routes must match.
//
// Access: inboxes follow policy/inbox-access.ts. Reading a private inbox that
// is not yours answers 403 whatever key was sent, or none (bad-input 61);
// other failures: 401 no or bad key, 404 no such message, 400 bad input.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { withServices, type AppEnv, type WebDeps } from '../deps.js';
import { apiPrincipal } from '../middleware/api-principal.js';
import { apiInboxGuard } from '../middleware/inbox-guard.js';
import { apiCors } from '../middleware/api-cors.js';
import { ApiRegistry, type RecordedRoute } from './registry.js';
import { buildOpenApi, renderApiDocs } from './openapi.js';
import { apiError } from './errors.js';
import { createKit } from './kit.js';
import { registerMessageRoutes } from './messages.js';
import { registerBodyRoutes } from './bodies.js';
import { registerAttachmentRoutes } from './attachments.js';
import { registerSearchRoutes } from './search.js';
import { registerDomainRoutes } from './domains.js';
import { registerAddressRoutes } from './addresses.js';
import { registerAccountRoutes } from './account.js';
import { registerPrivacyRoutes } from './privacy.js';
import { registerNotServedRoutes } from './not-served.js';
import { registerWebhookRoutes } from '../../push/activity-routes.js';
import { registerOutgoingRoutes } from './outgoing.js';
import { registerLegacyRoutes } from './legacy.js';

export { apiError } from './errors.js';

type C = Context<AppEnv>;

export function apiRoutes(deps: WebDeps): Hono<AppEnv> {
  return createApi(deps).app;
}

/** The API app and the record of its routes (for the OpenAPI description and tests). */
export function createApi(given: WebDeps): { app: Hono<AppEnv>; routes: RecordedRoute[] } {
  const deps = withServices(given);
  const app = new Hono<AppEnv>();
  // Every inbox route's access is decided by the guard before its handler runs.
  const reg = new ApiRegistry(app, (mode) => apiInboxGuard(deps, mode));
  const { config } = deps;

  // Preflights are answered before anything reads a key or a body.
  app.use('*', apiCors());
  // Bounded bodies (bad-input 66): nothing the API takes is larger than a bulk list of 100 addresses.
  app.use('*', bodyLimit({ maxSize: 256 * 1024, onError: (c) => apiError(c as C, 413, 'Request body too large') }));
  app.use('*', apiPrincipal(deps));

  const kit = createKit(deps, reg);
  // "/addresses/starred/messages" (messages.ts) is registered before any /addresses/:email route.
  registerMessageRoutes(kit);
  registerBodyRoutes(kit);
  registerAttachmentRoutes(kit);
  registerSearchRoutes(kit);
  registerDomainRoutes(kit);
  registerAddressRoutes(kit);
  registerAccountRoutes(kit);
  // Data rights and the audit log (issue 4).
  registerPrivacyRoutes(reg, deps, apiError);
  registerWebhookRoutes(reg, deps, apiError);
  registerOutgoingRoutes(kit);
  registerLegacyRoutes(kit);
  registerNotServedRoutes(kit);

  const serverUrl = (c: C) => (config.http.publicUrl || new URL(c.req.url).origin) + '/api';
  app.get('/openapi.json', (c) => c.json(buildOpenApi(reg.routes, serverUrl(c))));
  app.get('/docs', (c) => c.html(renderApiDocs(reg.routes, serverUrl(c))));

  app.all('*', (c) => apiError(c, 404, 'No such route'));
  return { app, routes: reg.routes };
}
