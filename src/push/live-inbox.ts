// The live inbox (issue 11): GET /inbox/{address}/events is a server-sent
// event stream of the inbox's messages as they become ready, for the inbox
// page's script (http/pages/app-js.ts) to add rows without a reload. Same
// rights as the page (policy/inbox-access.ts, judged again for every
// message), Origin checked like the websocket's, a short summary per event
// (no bodies), and every string in it is data inside JSON: the script puts it
// in the page with textContent only (GUIDE "Showing mail from strangers").
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppEnv, WebDeps } from '../http/deps.js';
import { isAdmin, principalFrom } from '../http/middleware/principal.js';
import { mayReadCaptured } from '../store/messages.js';
import { clientIp } from '../http/middleware/client-ip.js';
import { canReadInbox } from '../policy/inbox-access.js';
import { canonicalAddress } from '../policy/address.js';
import { messagePath } from '../http/pages/paths.js';
import { originAllowed } from './websocket-hub.js';
import type { ReadyNotice } from '../ingest/ready-events.js';

const KEEPALIVE_MS = 25_000;

/** Open streams per store, so shutdown can end them (an open stream would keep the HTTP server from closing). */
const streams = new WeakMap<object, Set<() => void>>();
const shutDown = new WeakSet<object>();

/** Ends every live stream of this store's app and refuses new ones (browsers reconnect at once): push's close() at shutdown. */
export function closeLiveStreams(store: object): void {
  shutDown.add(store);
  for (const end of streams.get(store) ?? []) end();
}

export function liveInboxRoutes(deps: WebDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const perIp = new Map<string, number>();

  app.get('/inbox/:address/events', async (c) => {
    const a = canonicalAddress(c.req.param('address'));
    if (!a) return c.text('Not an email address', 400);
    if (!originAllowed(c.req.header('origin'), c.req.header('host'), deps.config.http.publicUrl)) return c.text('Forbidden', 403);
    const p = principalFrom(c);
    if (!(await canReadInbox(deps, a.inbox, p))) return c.text('Forbidden', 403);
    const ready = deps.ready;
    // Connection: close, so a browser's reconnect during shutdown does not hold the server open on keep-alive.
    if (!ready || shutDown.has(deps.store)) return c.text('Live updates are not available', 503, { Connection: 'close' });
    const ip = clientIp(c, deps.config.http.trustedProxies);
    if ((perIp.get(ip) ?? 0) >= deps.config.websocket.maxConnectionsPerIp) return c.text('Too many live connections', 429);
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    c.header('Cache-Control', 'no-store');
    return streamSSE(c, async (stream) => {
      const queue: string[] = [];
      let wake: (() => void) | null = null;
      // Notices are read one after another (the reads are asynchronous), so summaries keep the order they were heard in.
      let reading = Promise.resolve();
      const off = ready.subscribe((n: ReadyNotice) => {
        reading = reading.then(() => summarize(n)).catch(() => {});
      });
      const summarize = async (n: ReadyNotice) => {
        for (const copy of n.copies) {
          if (!open) return;
          if (copy.inbox !== a.inbox || !(await canReadInbox(deps, a.inbox, p))) continue;
          // Captured mail is its capturer's and the admins' alone (issue 12).
          if (!mayReadCaptured({ capturedBy: copy.capturedBy ?? null }, p.kind === 'user' ? { userId: p.user.id, admin: isAdmin(p) } : undefined)) continue;
          const m = await deps.store.reader.get(copy.id);
          if (!m) continue;
          queue.push(
            JSON.stringify({
              id: m.id,
              subject: m.subject,
              from: m.from[0] ? (m.from[0].name ? `${m.from[0].name} <${m.from[0].address}>` : m.from[0].address) : m.mailFrom,
              received: new Date(m.received).toISOString(),
              size: m.size,
              attachments: m.attachments.length,
              parseState: m.parseState,
              href: messagePath(a.inbox, m.id),
            }),
          );
          // A reader that does not keep up loses its oldest summaries; a reload shows them.
          if (queue.length > 200) queue.shift();
        }
        wake?.();
      };
      let open = true;
      const end = () => {
        open = false;
        wake?.();
      };
      stream.onAbort(end);
      let mine = streams.get(deps.store);
      if (!mine) streams.set(deps.store, (mine = new Set()));
      mine.add(end);
      try {
        await stream.writeSSE({ event: 'open', data: '{}' });
        while (open) {
          while (queue.length && open) await stream.writeSSE({ event: 'message', data: queue.shift()! });
          if (!open) break;
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, KEEPALIVE_MS).unref();
          });
          wake = null;
          if (open && !queue.length) await stream.write(': keepalive\n\n');
        }
      } finally {
        mine.delete(end);
        off();
        const n = (perIp.get(ip) ?? 1) - 1;
        if (n <= 0) perIp.delete(ip);
        else perIp.set(ip, n);
      }
    });
  });
  return app;
}
