// The web UI: server-rendered pages that work without JavaScript. Inboxes live
// at /inbox/{address} and messages at /inbox/{address}/{id}, as on Mailsac's
// site. Everything shown comes from strangers (GUIDE "Showing mail from
// strangers"): text is escaped by the JSX renderer, HTML bodies are sanitized
// and served only inside a sandboxed iframe with their own CSP, downloads
// never render, and state changes only on POST with a CSRF token.
import { readyMessageInInbox } from '../ready-message.js';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { contentFields } from '../../log.js';
import { canonicalAddress } from '../../policy/address.js';
// Not from sanitize.ts: that would load jsdom into the main thread (link-host.ts).
import { linkHost } from '../../mail/link-host.js';
import { messageBodiesFor } from '../../services/message-bodies.js';
import type { MessageView } from '../../store/messages.js';
import type { Csrf } from '../middleware/csrf.js';
import { cidPath, cidPrefix, decodeCursor, encodeCursor, inboxPath, messagePath, plausibleId, segment } from './paths.js';
import { appCss } from '../views/styles.js';
import { appJs } from './app-js.js';
import { HomePage } from '../views/home.js';
import { InboxPage } from '../views/inbox.js';
import { MessagePage, type MessageLink, type MessageTab } from '../views/message.js';
import { ErrorPage } from '../views/errors.js';
import { inboxNotice } from '../privacy-facts.js';
import { canChangeInbox, isPrivateInbox } from '../../policy/inbox-access.js';
import { principalFrom } from '../middleware/principal.js';
import { readerFor } from '../../policy/inbox-access.js';
import { isReservedInbox } from '../../policy/address.js';
import { messageFrameCsp, servingHeaders } from '../../policy/serving.js';

type C = Context<AppEnv>;

const PAGE_SIZE = 50;
const MAX_RAW_PREVIEW = 256 * 1024;
const MAX_LINKS_SHOWN = 300;


export function uiRoutes(deps: WebDeps, csrf: Csrf): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Messages through the store's reader (issue 14: either engine).
  const msgs = deps.store.reader;
  const domains = new Set(deps.config.domains);

  const publicOrigin = (() => {
    try {
      return deps.config.http.publicUrl ? new URL(deps.config.http.publicUrl).origin : '';
    } catch {
      return '';
    }
  })();

  /** Origins this app answers on: the one the request used and the published one. */
  function origins(c: C): string[] {
    const own = new URL(c.req.url).origin;
    return publicOrigin && publicOrigin !== own ? [own, publicOrigin] : [own];
  }

  function smtpHost(c: C): string {
    try {
      return new URL(publicOrigin || c.req.url).hostname;
    } catch {
      return 'localhost';
    }
  }

  /** Who can read this inbox, from the running config (http/privacy-facts.ts, also behind /privacy). */
  async function notice(inbox: string) {
    return inboxNotice(deps.config, inbox, (await isPrivateInbox(deps, inbox)) ? 'owned' : 'public');
  }

  function errorPage(c: C, status: 400 | 401 | 403 | 404 | 405, title: string, message: string, address?: string) {
    return c.html(<ErrorPage nonce={c.get('nonce')} status={status} title={title} message={message} address={address} />, status);
  }

  /**
   * Canonicalizes the {address} segment: unknown domains are 404, reserved
   * local parts 403, and any other spelling of an inbox redirects to its one
   * canonical URL (bad-input 62), so `Foo+tag@Domain` and `foo@domain` are one page.
   */
  async function resolveInbox(c: C, rest: (inbox: string) => string): Promise<{ inbox: string } | Response> {
    const given = c.req.param('address') ?? '';
    const canon = canonicalAddress(given);
    if (!canon) return errorPage(c, 404, 'Not an address', 'That is not an email address Mailroom could have received mail for.');
    // Other domains hold only captured mail (issue 12): shown to whoever may read some of it, to everyone else unknown.
    if (!domains.has(canon.domain) && (await msgs.count(canon.inbox, readerFor(principalFrom(c)))) === 0) {
      return errorPage(c, 404, 'Unknown domain', `Mailroom does not receive mail for ${canon.domain}.`, given);
    }
    if (isReservedInbox(deps.config, canon.inbox)) {
      return errorPage(
        c,
        403,
        'Restricted inbox',
        `Mail to ${canon.local}@ addresses can prove ownership of the domain to certificate authorities, so it is ` +
          'never public. Only an administrator can read it.',
      );
    }
    if (given !== canon.inbox) {
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return errorPage(c, 404, 'Not found', 'No such page.');
      return c.redirect(rest(canon.inbox) + new URL(c.req.url).search, 301);
    }
    return { inbox: canon.inbox };
  }

  /** The message only when it belongs to this inbox: ids from elsewhere answer 404 (bad-input 60). */
  async function findMessage(c: C, inbox: string): Promise<MessageView | null> {
    const id = c.req.param('id') ?? '';
    if (!plausibleId(id)) return null;
    // A message not ready yet is waited for, bounded (issue 10).
    return readyMessageInInbox(deps, inbox, id, readerFor(principalFrom(c)));
  }

  function noMessage(c: C, inbox: string) {
    return errorPage(c, 404, 'No such message', 'This inbox has no message with that id. It may have been deleted.', inbox);
  }

  // ---- static assets -------------------------------------------------------

  app.get('/static/app.css', (c) => {
    c.header('Content-Type', 'text/css; charset=utf-8');
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(appCss);
  });
  app.get('/static/app.js', (c) => {
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(appJs);
  });

  // ---- home and the address box -----------------------------------------

  const home = (c: C, status: 200 | 400 = 200, error?: string, address?: string) =>
    c.html(
      <HomePage
        nonce={c.get('nonce')}
        domains={deps.config.domains}
        smtpHost={smtpHost(c)}
        smtpPort={deps.config.smtp.port}
        error={error}
        address={address}
        notice={inboxNotice(deps.config)}
      />,
      status,
    );

  app.get('/', (c) => home(c));

  app.get('/inbox', (c) => {
    let typed = (c.req.query('address') ?? '').trim();
    if (!typed) return c.redirect('/', 302);
    if (typed.length > 400) return home(c, 400, 'That address is too long.');
    // A bare local part means "at our (first) domain": the common case on a one-domain appliance.
    if (!typed.includes('@') && deps.config.domains.length > 0) typed = `${typed}@${deps.config.domains[0]}`;
    const canon = canonicalAddress(typed);
    if (!canon) return home(c, 400, 'That is not an email address Mailroom can receive mail for.', typed);
    if (!domains.has(canon.domain)) {
      return home(c, 400, `Mailroom does not receive mail for ${canon.domain}. It receives mail for: ${deps.config.domains.join(', ')}.`, typed);
    }
    return c.redirect(inboxPath(canon.inbox), 302);
  });

  // ---- inbox ---------------------------------------------------------------

  app.get('/inbox/:address', async (c) => {
    const r = await resolveInbox(c, inboxPath);
    if (!('inbox' in r)) return r;
    const { inbox } = r;
    const before = decodeCursor(c.req.query('before'));
    const rows = await msgs.list(inbox, { limit: PAGE_SIZE + 1, reader: readerFor(principalFrom(c)), ...(before ? { before } : {}) });
    const page = rows.slice(0, PAGE_SIZE);
    const last = page[page.length - 1];
    const olderHref =
      rows.length > PAGE_SIZE && last ? `${inboxPath(inbox)}?before=${encodeCursor(last.received, last.seq)}` : undefined;
    return c.html(
      <InboxPage
        nonce={c.get('nonce')}
        inbox={inbox}
        messages={page}
        total={await msgs.count(inbox)}
        olderHref={olderHref}
        paged={before !== null}
        smtpHost={smtpHost(c)}
        smtpPort={deps.config.smtp.port}
        notice={c.req.query('deleted') === '1' ? 'Message deleted.' : undefined}
        warning={await notice(inbox)}
      />,
    );
  });

  // ---- message page ----------------------------------------------------

  // Sanitized bodies come from walled render workers, cached (issue 10 part 2).
  const bodies = messageBodiesFor(deps.store);

  /** This message's Content-IDs and the route that serves each: the only images its HTML may show. */
  function cidUrls(inbox: string, m: MessageView): Array<[string, string]> {
    return m.attachments.filter((a) => a.cid).map((a) => [a.cid, cidPath(inbox, m.id, a.cid)]);
  }

  function sanitizedBody(inbox: string, m: MessageView, remote: boolean) {
    return bodies.sanitized(m, cidPrefix(inbox, m.id), cidUrls(inbox, m), remote);
  }

  async function messagePage(c: C, inbox: string, m: MessageView, tab: MessageTab | undefined) {
    // Decoded in a walled worker and cached: a 20 MB body is not parsed on this thread.
    const body = m.parseState === 'pending' ? null : await bodies.summary(m);
    const hasHtml = Boolean(body?.hasHtml);
    const hasText = Boolean(body?.hasText);
    const chosen: MessageTab = tab ?? (hasHtml ? 'html' : 'text');
    const remote = c.req.query('remote') === '1';
    let remoteBlocked = 0;
    if (chosen === 'html' && hasHtml) remoteBlocked = (await sanitizedBody(inbox, m, false)).remoteBlocked;
    const links: MessageLink[] = [];
    for (const href of m.links) {
      if (links.length >= MAX_LINKS_SHOWN) break;
      if (!/^https?:\/\//i.test(href)) continue;
      links.push({ href, host: linkHost(href) || '(no host)' });
    }
    let rawPreview: string | undefined;
    let rawTruncated = false;
    if (m.parseState === 'failed') {
      const rawBytes = (await msgs.raw(m.contentId)) ?? Buffer.alloc(0);
      rawTruncated = rawBytes.length > MAX_RAW_PREVIEW;
      rawPreview = rawBytes.subarray(0, MAX_RAW_PREVIEW).toString('utf8');
    }
    return c.html(
      <MessagePage
        nonce={c.get('nonce')}
        inbox={inbox}
        m={m}
        tab={chosen === 'html' && !hasHtml ? 'text' : chosen}
        hasHtml={hasHtml}
        hasText={hasText}
        textHtml={chosen === 'text' ? await bodies.textHtml(m) : undefined}
        headers={chosen === 'headers' ? body?.headers ?? [] : undefined}
        remoteBlocked={remoteBlocked}
        remote={remote}
        links={links}
        rawPreview={rawPreview}
        rawTruncated={rawTruncated}
        csrfToken={csrf.token(c)}
        canDelete={await canChangeInbox(deps, inbox, principalFrom(c))}
        notice={await notice(inbox)}
      />,
    );
  }

  app.get('/inbox/:address/:id', async (c) => {
    const r = await resolveInbox(c, (i) => messagePath(i, c.req.param('id')));
    if (!('inbox' in r)) return r;
    const m = await findMessage(c, r.inbox);
    if (!m) return noMessage(c, r.inbox);
    const v = c.req.query('view');
    return messagePage(c, r.inbox, m, v === 'html' || v === 'text' ? v : undefined);
  });

  app.get('/inbox/:address/:id/headers', async (c) => {
    const r = await resolveInbox(c, (i) => messagePath(i, c.req.param('id')) + '/headers');
    if (!('inbox' in r)) return r;
    const m = await findMessage(c, r.inbox);
    if (!m) return noMessage(c, r.inbox);
    return messagePage(c, r.inbox, m, 'headers');
  });

  // ---- the sanitized HTML body, for the sandboxed iframe only -----------

  app.get('/inbox/:address/:id/html', async (c) => {
    const r = await resolveInbox(c, (i) => messagePath(i, c.req.param('id')) + '/html');
    if (!('inbox' in r)) return r;
    const m = await findMessage(c, r.inbox);
    if (!m) return noMessage(c, r.inbox);
    const remote = c.req.query('remote') === '1';
    // Past its walls (time, memory, output) the sanitizer's answer is the escaped source (bad-input 50).
    const inner = m.parseState === 'ok' || m.parseState === 'failed' ? (await sanitizedBody(r.inbox, m, remote)).html : '';
    // Images only from data: and this message's own cid route, unless the reader
    // unblocked remote images for this one message (policy/serving.ts).
    const cidSources = origins(c).map((o) => o + cidPrefix(r.inbox, m.id));
    c.header('Content-Security-Policy', messageFrameCsp(['data:', ...cidSources, ...(remote ? ['https:', 'http:'] : [])]));
    // Only our own message page may frame it (the default everywhere else is DENY).
    c.header('X-Frame-Options', 'SAMEORIGIN');
    // The document is fixed: our own markup around the sanitizer's output, which must not be edited after sanitizing.
    const doc =
      '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">' +
      '<style>html,body{margin:0;padding:0}body{padding:12px;font:15px/1.45 system-ui,sans-serif;overflow-wrap:anywhere}</style>' +
      `</head><body>${inner}</body></html>`;
    return c.html(doc);
  });

  // ---- inline images referenced by cid: ---------------------------------

  app.get('/inbox/:address/:id/cid/:cid', async (c) => {
    const r = await resolveInbox(c, (i) => cidPath(i, c.req.param('id'), c.req.param('cid')));
    if (!('inbox' in r)) return r;
    const m = await findMessage(c, r.inbox);
    if (!m) return noMessage(c, r.inbox);
    // The Content-ID is only a key into this message's attachments, never a path (bad-input 44).
    const cid = c.req.param('cid');
    const a = m.attachments.find((x) => x.cid && x.cid === cid);
    const data = a ? await msgs.attachmentData(a.sha256) : null;
    if (!a || !data) return errorPage(c, 404, 'No such image', 'This message has no inline part with that Content-ID.', r.inbox);
    const headers = servingHeaders({ kind: 'inline-image', filename: a.filename, contentType: a.contentType, fallbackName: `inline-${a.idx + 1}.bin` });
    return c.body(new Uint8Array(data), 200, { ...headers, 'Cache-Control': 'private, max-age=3600' });
  });

  // ---- attachments -------------------------------------------------------

  app.get('/inbox/:address/:id/attachments/:idx', async (c) => {
    // The segment comes back decoded: encode it again, or CR/LF reach the Location header (issue 13 item 7).
    const r = await resolveInbox(c, (i) => `${messagePath(i, c.req.param('id'))}/attachments/${segment(c.req.param('idx'))}`);
    if (!('inbox' in r)) return r;
    const m = await findMessage(c, r.inbox);
    if (!m) return noMessage(c, r.inbox);
    const idxText = c.req.param('idx');
    const a = /^\d{1,6}$/.test(idxText) ? m.attachments.find((x) => x.idx === Number(idxText)) : undefined;
    const data = a ? await msgs.attachmentData(a.sha256) : null;
    if (!a || !data) return errorPage(c, 404, 'No such attachment', 'This message has no attachment with that number.', r.inbox);
    // Downloaded, never rendered (bad-inputs 43, 45; policy/serving.ts).
    const headers = servingHeaders({ kind: 'attachment', filename: a.filename, contentType: a.contentType, fallbackName: `attachment-${a.idx + 1}.bin` });
    return c.body(new Uint8Array(data), 200, { ...headers, 'Cache-Control': 'private, no-store' });
  });

  // ---- raw source --------------------------------------------------------

  app.get('/inbox/:address/:id/raw', async (c) => {
    const r = await resolveInbox(c, (i) => messagePath(i, c.req.param('id')) + '/raw');
    if (!('inbox' in r)) return r;
    const m = await findMessage(c, r.inbox);
    if (!m) return noMessage(c, r.inbox);
    const data = await msgs.raw(m.contentId);
    if (!data) return noMessage(c, r.inbox);
    return c.body(new Uint8Array(data), 200, servingHeaders({ kind: 'raw', download: c.req.query('download') === '1', filename: `${m.id}.eml` }));
  });

  // ---- delete --------------------------------------------------------------

  // GET never changes state (bad-input 63): an <img src=".../delete"> in a message does nothing.
  app.get('/inbox/:address/:id/delete', (c) => {
    c.header('Allow', 'POST');
    return errorPage(c, 405, 'Use the Delete button', 'Messages are deleted with the Delete button on the message page.');
  });

  app.post('/inbox/:address/:id/delete', bodyLimit({ maxSize: 8 * 1024, onError: (c) => c.text('Request too large', 413) }), async (c) => {
    const r = await resolveInbox(c, (i) => messagePath(i, c.req.param('id')) + '/delete');
    if (!('inbox' in r)) return r;
    const m = await findMessage(c, r.inbox);
    if (!m) return noMessage(c, r.inbox);
    let token: unknown;
    try {
      token = (await c.req.parseBody())['csrf'];
    } catch {
      token = undefined;
    }
    const check = csrf.verify(c, token);
    if (!check.ok) {
      return errorPage(
        c,
        403,
        'Not deleted',
        'This request did not come from the Delete button of this site, or the page was too old. Reload the message and try again.',
        r.inbox,
      );
    }
    // The same rule as the API's DELETE (issue 13 item 1): anonymous visitors read public mail, never delete it.
    const deleted = await deps.services.inboxes.deleteOne(principalFrom(c), m);
    if (!deleted.ok) {
      return errorPage(c, 401, 'Not deleted', 'Sign in to delete messages. Anyone may read a public inbox, but only signed-in users may change it.', r.inbox);
    }
    // Addresses are content: logged only when the operator allows it (log.ts).
    deps.log.info({ id: m.id, ...contentFields(deps.config.log.content, { inbox: r.inbox }) }, 'message deleted from the UI');
    return c.redirect(`${inboxPath(r.inbox)}?deleted=1`, 303);
  });

  return app;
}
