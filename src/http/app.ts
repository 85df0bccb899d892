// createApp builds the Hono application around its dependencies and never
// listens: main.ts serves it, tests call app.request().
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { withServices, type WebDeps, type AppEnv, type HealthReport } from './deps.js';
import { securityHeaders } from './middleware/security-headers.js';
import { apiAwareGetPath } from './middleware/api-path.js';
import { uiRoutes } from './pages/inbox.js';
import { liveInboxRoutes } from '../push/live-inbox.js';
import { apiRoutes } from './api/index.js';
import { accountRoutes } from './pages/account.js';
import { privacyRoutes } from './pages/privacy.js';
import { stripeWebhookRoutes } from './billing/stripe-webhook.js';
import { pageKeyThrottle } from './middleware/throttle.js';
import { pagePrincipal } from './middleware/principal.js';
import { MessageNotReadyError } from '../ingest/wait-ready.js';
import { Csrf } from './middleware/csrf.js';

/** Backstop for every route (bad-input 66); the API and the forms set tighter limits of their own. */
const MAX_BODY = 1024 * 1024;

export function createApp(given: WebDeps): Hono<AppEnv> {
  const deps = withServices(given);
  // Trailing and doubled slashes under /api route like the plain path (middleware/api-path.ts).
  const app = new Hono<AppEnv>({ getPath: apiAwareGetPath });
  app.use('*', securityHeaders());
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY,
      onError: (c) =>
        c.req.path.startsWith('/api/')
          ? c.json({ status: 413, error: 'Payload Too Large', message: 'Request body too large' }, 413)
          : c.text('Request too large', 413),
    }),
  );
  // Who is asking, resolved once per page request before any handler (the API resolves its own after reading the body).
  app.use('*', pagePrincipal(deps));
  app.use('*', pageKeyThrottle(deps));

  app.get('/healthz', async (c) => {
    let storeOk = false;
    try {
      storeOk = await deps.store.ping();
    } catch {
      storeOk = false;
    }
    const rest = deps.health();
    let pending = 0;
    try {
      pending = await deps.store.reader.pendingCount();
    } catch {
      storeOk = false;
    }
    const report: HealthReport = { ok: storeOk && rest.smtp.ok, store: { ok: storeOk }, ...rest, pending };
    return c.json(report, report.ok ? 200 : 503);
  });

  app.route('/', stripeWebhookRoutes(deps));
  app.route('/api', apiRoutes(deps));
  // One CSRF secret for every page: a form one page group renders may post to
  // another's route (the account page's "Delete all its mail" goes to the data-rights route).
  const csrf = new Csrf({ publicUrl: deps.config.http.publicUrl });
  app.route('/', privacyRoutes(deps, csrf));
  app.route('/', accountRoutes(deps, csrf));
  app.route('/', liveInboxRoutes(deps)); // before uiRoutes: /inbox/:address/events is not a message id
  app.route('/', uiRoutes(deps, csrf));

  app.notFound((c) => {
    if (c.req.path.startsWith('/api/')) return c.json({ status: 404, error: 'Not Found', message: 'No such route' }, 404);
    return c.text('Not found', 404);
  });
  app.onError((err, c) => {
    if (err instanceof MessageNotReadyError) {
      // Stored (250 sent) but its processing did not commit within the wait (issue 10).
      c.header('Retry-After', String(err.retryAfter));
      if (c.req.path.startsWith('/api/')) return c.json({ status: 503, error: 'Service Unavailable', message: 'The message is still being processed; try again shortly' }, 503);
      return c.text('This message is still being processed. Try again in a moment.', 503);
    }
    deps.log.error({ err: { message: err.message }, path: c.req.path }, 'request failed');
    if (c.req.path.startsWith('/api/')) return c.json({ status: 500, error: 'Internal Server Error', message: 'Something went wrong' }, 500);
    return c.text('Something went wrong', 500);
  });
  return app;
}
