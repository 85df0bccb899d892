// The Mailsac-compatible REST API under /api (issue 3). Paths, parameters and
// JSON shapes follow reference/mailsac-openapi.yml, so @mailsac/api works by
// changing its baseURL. Every route goes through ApiRegistry (registry.ts),
// which also feeds /api/openapi.json.
//
// Access: inboxes follow web/auth/access.ts. Reading a private inbox that is
// not yours answers 403 whatever key was sent, or none (bad-input 61); other
// failures: 401 no or bad key, 404 no such message, 400 bad input.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getConnInfo } from '@hono/node-server/conninfo';
import os from 'node:os';
import type { AppEnv, WebDeps } from '../deps.js';
import { canonicalAddress, canonicalDomain } from '../../mail/address.js';
import { sanitizeHtml } from '../../mail/sanitize.js';
import { textToSafeHtml } from '../../mail/text.js';
import { rawHeaders } from '../../mail/parse.js';
import type { MessageView } from '../../store/messages.js';
import type { Scope } from '../../store/message-queries.js';
import { principalForKey, setPrincipal, principalFrom, isAdmin, type Principal } from '../auth/principal.js';
import { inboxAccess, isReservedInbox, type InboxAccess } from '../auth/access.js';
import { limiterFor } from '../auth/rate-limit.js';
import { ApiRegistry, type Method, type ParamDoc, type RecordedRoute, type RouteDoc } from './registry.js';
import { buildOpenApi, renderApiDocs } from './openapi.js';
import { addressJson, attachmentJson, iso, messageJson, unownedAddressJson } from './json.js';
import type { ForwardingFields } from '../../store/addresses.js';
import { registerPrivacyRoutes } from './privacy-routes.js';
import { registerWebhookRoutes } from '../../push/activity-routes.js';
import { forwardRefusal } from '../../push/forwarding.js';
import { auditPrivateRead } from '../audit.js';

type C = Context<AppEnv>;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  501: 'Not Implemented',
};

export function apiError(c: C, status: 400 | 401 | 403 | 404 | 413 | 429 | 501, message: string): Response {
  return c.json({ status, error: STATUS_TEXT[status], message }, status);
}

const MSG = {
  forbidden: 'This inbox is private and not yours',
  noKey: 'An API key is required: send it in the Mailsac-Key header',
  badKey: 'Invalid API key',
  notFound: 'Message not found',
  badEmail: 'Invalid email address',
  admin: 'Only an admin can do this',
};

/** Where the JSON body of this request was put by the body middleware. */
const bodies = new WeakMap<Request, Record<string, unknown>>();

function bodyOf(c: C): Record<string, unknown> {
  return bodies.get(c.req.raw) ?? {};
}

/**
 * Reads a request body the way real clients send it: JSON whatever the
 * Content-Type says (curl -d labels JSON as form data), a urlencoded form,
 * or nothing at all (PUTs with no body). Returns null when it is not readable.
 */
function parseBody(text: string, contentType: string): Record<string, unknown> | null {
  const t = text.trim();
  if (t === '') return {};
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      const v = JSON.parse(t);
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : { _array: v };
    } catch {
      return null;
    }
  }
  if (contentType.includes('application/x-www-form-urlencoded') || /^[^=&\s]+=/.test(t)) {
    return Object.fromEntries(new URLSearchParams(t));
  }
  return null;
}

function clientAddress(c: C): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function viaName(deps: WebDeps): string {
  return deps.config.smtp.hostname || os.hostname();
}

function bool(v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return undefined;
}

/** `until`/`since`: an ISO 8601 date or epoch milliseconds. undefined: absent; null: malformed. */
function dateParam(v: string | undefined): number | undefined | null {
  if (v === undefined || v === '') return undefined;
  const n = /^\d{1,15}$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isFinite(n) ? n : null;
}

function intParam(v: string | undefined, min: number, max: number): number | undefined | null {
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,9}$/.test(v.trim())) return null;
  return Math.max(min, Math.min(max, Number(v)));
}

function principal(c: C, deps: WebDeps): Principal {
  return principalFrom(c, deps);
}

/** Scope of "the account's messages": everything for admins, the owned addresses for users. */
function accountScope(p: Principal): Scope {
  if (isAdmin(p)) return { kind: 'all' };
  return { kind: 'owner', userId: p.kind === 'user' ? p.user.id : -1 };
}

const DOWNLOAD: ParamDoc = { name: 'download', type: 'integer', enum: ['1'], description: 'Set to 1 to download as a file' };
const LIMIT: ParamDoc = { name: 'limit', type: 'integer', description: 'At most this many (default 20, max 1000)' };
const UNTIL: ParamDoc = { name: 'until', type: 'string', description: 'Only messages received before this ISO 8601 date' };
const EMAIL_DOC = { email: 'Email address; `+tag` is ignored, `@` and `+` may be percent-encoded' };
const MSG_DOCS = { ...EMAIL_DOC, messageId: 'Message id (`_id`)' };

// A body route's answer must never run in our origin: the same sandbox CSP as
// the UI's message frame (GUIDE "Showing mail from strangers").
const BODY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'";

function bodyResponse(c: C, content: string | Buffer, type: string, download: boolean, filename: string): Response {
  c.header('Content-Type', type);
  c.header('Content-Security-Policy', BODY_CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  if (download) c.header('Content-Disposition', `attachment; filename="${filename}"`);
  return c.body(typeof content === 'string' ? content : new Uint8Array(content));
}

/** Plain text from HTML for mail that has no text part and was not converted at parse time. */
function htmlToText(html: string): string {
  return html
    .slice(0, 2 * 1024 * 1024)
    .replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<br\s*\/?>|<\/(p|div|tr|h[1-6]|li)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function simpleHtml(text: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"></head><body><pre style="white-space:pre-wrap">${textToSafeHtml(text)}</pre></body></html>`;
}

/** A filename safe in a quoted Content-Disposition: no quotes, slashes, controls or non-ASCII. */
export function safeFilename(name: string, fallback: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^A-Za-z0-9._ ()-]/g, '_').replace(/^\.+/, '').slice(0, 120).trim();
  return clean || fallback;
}

const UNSAFE_TYPES = /^(text\/html|application\/xhtml|image\/svg|text\/xml|application\/xml|application\/javascript|text\/javascript)/i;

export function apiRoutes(deps: WebDeps): Hono<AppEnv> {
  return createApi(deps).app;
}

/** The API app and the record of its routes (for the OpenAPI description and tests). */
export function createApi(deps: WebDeps): { app: Hono<AppEnv>; routes: RecordedRoute[] } {
  const app = new Hono<AppEnv>();
  const reg = new ApiRegistry(app);
  const { store, config } = deps;
  const limiter = limiterFor(store);
  const via = viaName(deps);
  // privacy.storeSenderIp off: the sending host is not shown, even for mail stored before it was turned off.
  const json = (m: MessageView) => messageJson(store, config.privacy.storeSenderIp ? m : { ...m, ip: '', helo: '' }, via);

  // Bounded bodies (bad-input 66): nothing the API takes is larger than a bulk list of 100 addresses.
  app.use('*', bodyLimit({ maxSize: 256 * 1024, onError: (c) => apiError(c as C, 413, 'Request body too large') }));

  // Reads the body once, finds the key (header, query, then body field) and
  // resolves who is asking. Cookies are not looked at: the API is for keys.
  app.use('*', async (c, next) => {
    let body: Record<string, unknown> = {};
    if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(c.req.method)) {
      const parsed = parseBody(await c.req.text(), c.req.header('content-type') ?? '');
      if (parsed === null) return apiError(c, 400, 'The request body must be JSON');
      body = parsed;
      bodies.set(c.req.raw, body);
    }
    const bodyKey = typeof body._mailsacKey === 'string' ? body._mailsacKey : undefined;
    const key = c.req.header('mailsac-key') || c.req.query('_mailsacKey') || bodyKey;
    const client = clientAddress(c);
    const p = principalForKey(store, config, key);
    if (p.kind === 'anonymous' && p.badKey) {
      // Only failures are throttled: a valid key from the same address (a
      // shared NAT) keeps working while someone else guesses.
      if (limiter.blocked(client)) return apiError(c, 429, 'Too many failed attempts; try again in a minute');
      limiter.fail(client);
    }
    setPrincipal(c, p);
    await next();
  });

  /** 401 unless a valid key was sent. */
  const needUser = (c: C): Response | null => {
    const p = principal(c, deps);
    if (p.kind === 'user') return null;
    return apiError(c, 401, p.badKey ? MSG.badKey : MSG.noKey);
  };

  type Guarded = { inbox: string; access: InboxAccess; p: Principal };
  /**
   * Checks the {email} parameter and the caller's rights on that inbox.
   * read: anyone who may read it; write: plus a key (star, label, delete one);
   * manage: the owner or an admin (delete all).
   */
  const guard = (c: C, mode: 'read' | 'write' | 'manage'): Guarded | Response => {
    const p = principal(c, deps);
    const a = canonicalAddress(c.req.param('email') ?? '');
    if (!a) return apiError(c, 400, MSG.badEmail);
    const access = inboxAccess(deps, a.inbox, p);
    // Private and not yours: one answer, whatever the key (bad-input 61).
    if (access.kind !== 'public' && !access.read) return apiError(c, 403, MSG.forbidden);
    if (p.kind === 'anonymous' && p.badKey) return apiError(c, 401, MSG.badKey);
    if (!access.read || (mode !== 'read' && p.kind === 'anonymous')) return apiError(c, 401, MSG.noKey);
    if (mode === 'manage' && !access.manage) return apiError(c, 403, 'Only the owner of a private address, or an admin, can do this');
    auditPrivateRead(c, deps, p, a.inbox, c.req.param('messageId'));
    return { inbox: a.inbox, access, p };
  };

  const guardMessage = (c: C, mode: 'read' | 'write' | 'manage'): (Guarded & { m: MessageView }) | Response => {
    const g = guard(c, mode);
    if (g instanceof Response) return g;
    // Ids are opaque and checked against the inbox (bad-input 60).
    const m = store.messages.getInInbox(g.inbox, c.req.param('messageId') ?? '');
    if (!m) return apiError(c, 404, MSG.notFound);
    return { ...g, m };
  };

  const listOf = (ids: string[]) => ids.map((id) => store.messages.get(id)).filter((m): m is MessageView => m !== null).map(json);

  // ------------------------------------------------------------------ messages

  // Registered before /addresses/:email/... so "starred" is never read as an address.
  reg.route(
    'get',
    '/addresses/starred/messages',
    { operationId: 'ListStarredMessages', summary: 'List starred messages of the account', tags: ['Messages'], auth: 'key', responses: { 200: 'Messages, newest first', 401: 'No key' }, returns: 'EmailMessageList', query: [LIMIT, UNTIL] },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps);
      const until = dateParam(c.req.query('until'));
      const limit = intParam(c.req.query('limit'), 1, 1000);
      if (until === null || limit === null) return apiError(c, 400, 'until must be a date and limit a number');
      const userId = isAdmin(p) ? null : p.kind === 'user' ? p.user.id : null;
      return c.json(listOf(store.queries.starred(accountScope(p), userId, { limit: limit ?? 100, until })));
    },
  );

  reg.route(
    'get',
    '/addresses/:email/message-count',
    { operationId: 'CountMessages', summary: 'Count messages in an inbox', tags: ['Messages'], auth: 'inbox', pathDocs: EMAIL_DOC, responses: { 200: '{count, inbox}', 401: 'No key', 403: 'Private and not yours' } },
    (c) => {
      const g = guard(c, 'read');
      if (g instanceof Response) return g;
      return c.json({ count: store.messages.count(g.inbox), inbox: g.inbox });
    },
  );

  reg.route(
    'get',
    '/addresses/:email/messages',
    {
      operationId: 'ListMessages',
      summary: 'List messages in an inbox, newest first',
      tags: ['Messages'],
      auth: 'inbox',
      pathDocs: EMAIL_DOC,
      query: [UNTIL, LIMIT],
      responses: { 200: 'Messages', 400: 'Bad until or limit', 401: 'No key', 403: 'Private and not yours' },
      returns: 'EmailMessageList',
    },
    (c) => {
      const g = guard(c, 'read');
      if (g instanceof Response) return g;
      const until = dateParam(c.req.query('until'));
      const limit = intParam(c.req.query('limit'), 1, 1000);
      if (until === null || limit === null) return apiError(c, 400, 'until must be a date and limit a number');
      return c.json(store.messages.list(g.inbox, { until, limit: limit ?? 20 }).map(json));
    },
  );

  reg.route(
    'delete',
    '/addresses/:email/messages',
    {
      operationId: 'DeleteAllMessages',
      summary: 'Delete all messages of an owned inbox (starred ones are kept)',
      tags: ['Messages'],
      auth: 'inbox',
      pathDocs: EMAIL_DOC,
      responses: { 204: 'Deleted', 401: 'No key', 403: 'Not your inbox' },
    },
    (c) => {
      const g = guard(c, 'manage');
      if (g instanceof Response) return g;
      const ids = store.queries.unstarredIds({ kind: 'inbox', inbox: g.inbox });
      store.db.transaction(() => ids.forEach((id) => store.messages.delete(id)))();
      return c.body(null, 204);
    },
  );

  reg.route(
    'get',
    '/addresses/:email/messages/:messageId',
    { operationId: 'GetMessageMetadata', summary: 'Get one message', tags: ['Messages'], auth: 'inbox', pathDocs: MSG_DOCS, responses: { 200: 'The message', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' }, returns: 'EmailMessage' },
    (c) => {
      const g = guardMessage(c, 'read');
      if (g instanceof Response) return g;
      return c.json(json(g.m));
    },
  );

  reg.route(
    'delete',
    '/addresses/:email/messages/:messageId',
    { operationId: 'DeleteMessage', summary: 'Delete one message', tags: ['Messages'], auth: 'inbox', pathDocs: MSG_DOCS, responses: { 200: '{_id, inbox, message}', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' } },
    (c) => {
      const g = guardMessage(c, 'write');
      if (g instanceof Response) return g;
      store.messages.delete(g.m.id);
      return c.json({ _id: g.m.id, inbox: g.inbox, message: 'Message was deleted.' });
    },
  );

  reg.route(
    'put',
    '/addresses/:email/messages/:messageId/star',
    { operationId: 'ToggleMessageStar', summary: 'Toggle the starred flag', tags: ['Messages'], auth: 'inbox', pathDocs: MSG_DOCS, responses: { 200: 'The message', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' }, returns: 'EmailMessage' },
    (c) => {
      const g = guardMessage(c, 'write');
      if (g instanceof Response) return g;
      const starred = !g.m.starred;
      store.db.transaction(() => {
        store.messages.setStarred(g.m.id, starred);
        store.queries.setSavedBy(g.m.id, starred && g.p.kind === 'user' ? g.p.user.id : null);
      })();
      return c.json(json(store.messages.get(g.m.id)!));
    },
  );

  const labelDocs = { ...MSG_DOCS, label: 'Label, URL-encoded' };
  const labelHandler = (add: boolean) => (c: C) => {
    const g = guardMessage(c, 'write');
    if (g instanceof Response) return g;
    const label = (c.req.param('label') ?? '').trim();
    if (!label || label.length > 100) return apiError(c, 400, 'A label is 1 to 100 characters');
    let labels = g.m.labels.filter((l) => l !== label);
    if (add) labels = [...g.m.labels.filter((l) => l !== label), label];
    if (labels.length > 50) return apiError(c, 400, 'At most 50 labels per message');
    if (add ? !g.m.labels.includes(label) : g.m.labels.includes(label)) store.messages.setLabels(g.m.id, labels);
    return c.json({ _id: g.m.id, labels: store.messages.get(g.m.id)!.labels });
  };
  reg.route(
    'put',
    '/addresses/:email/messages/:messageId/labels/:label',
    { operationId: 'AddMessageLabel', summary: 'Add a label to a message', tags: ['Messages'], auth: 'inbox', pathDocs: labelDocs, responses: { 200: '{_id, labels}', 400: 'Bad label', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' } },
    labelHandler(true),
  );
  reg.route(
    'delete',
    '/addresses/:email/messages/:messageId/labels/:label',
    { operationId: 'DeleteMessageLabel', summary: 'Remove a label from a message', tags: ['Messages'], auth: 'inbox', pathDocs: labelDocs, responses: { 200: '{_id, labels}', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' } },
    labelHandler(false),
  );

  const FOLDERS = ['inbox', 'all', 'spam', 'trash'];
  reg.route(
    'put',
    '/addresses/:email/messages/:messageId/folder/:folder',
    {
      operationId: 'SetMessageFolder',
      summary: 'Move a message to a folder',
      tags: ['Messages'],
      auth: 'inbox',
      pathDocs: { ...MSG_DOCS, folder: 'inbox, all, spam or trash' },
      responses: { 200: '{_id, folder}', 400: 'Unknown folder', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' },
    },
    (c) => {
      const g = guardMessage(c, 'write');
      if (g instanceof Response) return g;
      const folder = c.req.param('folder') ?? '';
      if (!FOLDERS.includes(folder)) return apiError(c, 400, `folder must be one of ${FOLDERS.join(', ')}`);
      store.messages.setFolder(g.m.id, folder);
      return c.json({ _id: g.m.id, folder });
    },
  );

  reg.route(
    'put',
    '/addresses/:email/messages/:messageId/read/:readBoolean',
    {
      operationId: 'SetMessageReadStatus',
      summary: 'Mark a message read or unread',
      tags: ['Messages'],
      auth: 'inbox',
      pathDocs: { ...MSG_DOCS, readBoolean: 'true or false' },
      responses: { 200: '{_id, read}', 400: 'Not true or false', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' },
    },
    (c) => {
      const g = guardMessage(c, 'write');
      if (g instanceof Response) return g;
      const v = c.req.param('readBoolean');
      if (v !== 'true' && v !== 'false') return apiError(c, 400, 'readBoolean must be true or false');
      store.messages.setRead(g.m.id, v === 'true');
      return c.json({ _id: g.m.id, read: v === 'true' });
    },
  );

  // ------------------------------------------------------------------ bodies

  reg.route(
    'get',
    '/addresses/:email/messages/:messageId/headers',
    {
      operationId: 'GetHeaders',
      summary: 'Get the message headers',
      tags: ['Messages'],
      auth: 'inbox',
      pathDocs: MSG_DOCS,
      query: [{ name: 'messageHeadersFormat', type: 'string', enum: ['json', 'json-ordered', 'plain'], description: 'Default json: names lower-cased, values grouped' }, DOWNLOAD],
      responses: { 200: 'Headers', 400: 'Unknown format', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' },
    },
    (c) => {
      const g = guardMessage(c, 'read');
      if (g instanceof Response) return g;
      const format = c.req.query('messageHeadersFormat') || 'json';
      if (!['json', 'json-ordered', 'plain'].includes(format)) return apiError(c, 400, 'messageHeadersFormat must be json, json-ordered or plain');
      const body = store.messages.body(g.m.contentId);
      let headers: Array<[string, string]> = body && g.m.parseState !== 'pending' ? body.headers : [];
      if (!headers.length) {
        const raw = store.messages.raw(g.m.contentId);
        headers = raw ? (rawHeaders(raw) as unknown as Array<[string, string]>) : [];
      }
      const download = c.req.query('download') === '1';
      if (format === 'plain') {
        const text = headers.map(([n, v]) => `${n}: ${v}`).join('\n') + '\n';
        if (download) return bodyResponse(c, text, 'text/plain; charset=utf-8', true, `${g.m.id}-headers.txt`);
        return c.text(text);
      }
      let out: unknown;
      if (format === 'json') {
        const grouped: Record<string, string[]> = Object.create(null);
        for (const [n, v] of headers) (grouped[n.toLowerCase()] ??= []).push(v);
        out = { ...grouped };
      } else {
        out = headers.map(([name, value]) => ({ name: name.toLowerCase(), value }));
      }
      if (download) c.header('Content-Disposition', `attachment; filename="${g.m.id}-headers.json"`);
      return c.json(out);
    },
  );

  const bodyRoute = (
    path: string,
    operationId: string,
    summary: string,
    produce: (c: C, m: MessageView) => { content: string | Buffer; type: string; ext: string },
  ) =>
    reg.route(
      'get',
      path,
      { operationId, summary, tags: ['Messages'], auth: 'inbox', pathDocs: MSG_DOCS, query: [DOWNLOAD], produces: path.startsWith('/raw') || path.startsWith('/text') ? 'text/plain' : 'text/html', responses: { 200: 'The body', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' } },
      (c) => {
        const g = guardMessage(c, 'read');
        if (g instanceof Response) return g;
        const out = produce(c, g.m);
        return bodyResponse(c, out.content, out.type, c.req.query('download') === '1', `${g.m.id}.${out.ext}`);
      },
    );

  bodyRoute('/raw/:email/:messageId', 'GetFullRawMessage', 'Get the original message as received (RFC 5322 source)', (_c, m) => ({
    content: store.messages.raw(m.contentId) ?? Buffer.alloc(0),
    type: 'text/plain; charset=utf-8',
    ext: 'eml',
  }));

  bodyRoute('/text/:email/:messageId', 'GetBodyPlainText', 'Get the plain text body', (_c, m) => {
    const b = store.messages.body(m.contentId);
    const text = b ? b.text || (b.html ? htmlToText(b.html) : '') : '';
    return { content: text, type: 'text/plain; charset=utf-8', ext: 'txt' };
  });

  bodyRoute('/body/:email/:messageId', 'GetBodySanitized', 'Get the HTML body, sanitized (scripts, remote content and forms removed)', (_c, m) => {
    const b = store.messages.body(m.contentId);
    const html = b?.html ? sanitizeHtml(b.html, { cidUrl: () => null, allowRemote: false }).html : simpleHtml(b?.text ?? '');
    return { content: html, type: 'text/html; charset=utf-8', ext: 'html' };
  });

  bodyRoute('/dirty/:email/:messageId', 'GetBodyDirty', 'Get the original HTML body with cid images inlined (served with a sandbox CSP)', (_c, m) => {
    const b = store.messages.body(m.contentId);
    if (!b?.html) return { content: simpleHtml(b?.text ?? ''), type: 'text/html; charset=utf-8', ext: 'html' };
    const byCid = new Map(m.attachments.filter((a) => a.cid).map((a) => [a.cid.toLowerCase(), a]));
    const html = b.html.replace(/cid:([^"'\s>)]+)/gi, (whole, cid: string) => {
      let key = cid;
      try {
        key = decodeURIComponent(cid);
      } catch {
        // not percent-encoded
      }
      const a = byCid.get(key.toLowerCase());
      if (!a || a.size > 5 * 1024 * 1024) return whole;
      const data = store.messages.attachmentData(a.sha256);
      const type = /^[\w.+-]+\/[\w.+-]+$/.test(a.contentType) ? a.contentType : 'application/octet-stream';
      return data ? `data:${type};base64,${data.toString('base64')}` : whole;
    });
    return { content: html, type: 'text/html; charset=utf-8', ext: 'html' };
  });

  // ------------------------------------------------------------------ attachments

  reg.route(
    'get',
    '/addresses/:email/messages/:messageId/attachments',
    { operationId: 'ListMessageAttachments', summary: 'List the attachments of a message', tags: ['Attachments'], auth: 'inbox', pathDocs: MSG_DOCS, responses: { 200: 'Attachment metadata', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' }, returns: 'AttachmentMeta' },
    (c) => {
      const g = guardMessage(c, 'read');
      if (g instanceof Response) return g;
      return c.json(g.m.attachments.map(attachmentJson));
    },
  );

  reg.route(
    'get',
    '/addresses/:email/messages/:messageId/attachments/:attachmentIdentifier',
    {
      operationId: 'DownloadAttachment',
      summary: 'Download an attachment by md5, Content-ID or filename',
      tags: ['Attachments'],
      auth: 'inbox',
      pathDocs: { ...MSG_DOCS, attachmentIdentifier: 'md5 sum, Content-ID (cid) or filename' },
      produces: 'application/octet-stream',
      responses: { 200: 'The attachment', 401: 'No key', 403: 'Private and not yours', 404: 'No such message or attachment' },
    },
    (c) => {
      const g = guardMessage(c, 'read');
      if (g instanceof Response) return g;
      const ident = c.req.param('attachmentIdentifier') ?? '';
      const bare = ident.replace(/^<|>$/g, '');
      const list = g.m.attachments;
      // A filename or Content-ID is only ever a lookup key, never a path.
      const a =
        list.find((x) => x.md5 === ident.toLowerCase()) ??
        list.find((x) => x.cid !== '' && x.cid.toLowerCase() === bare.toLowerCase()) ??
        list.find((x) => x.filename !== '' && x.filename === ident);
      if (!a) return apiError(c, 404, 'Attachment not found');
      const data = store.messages.attachmentData(a.sha256);
      if (!data) return apiError(c, 404, 'Attachment not found');
      const type = /^[\w.+-]+\/[\w.+-]+$/.test(a.contentType) && !UNSAFE_TYPES.test(a.contentType) ? a.contentType : 'application/octet-stream';
      c.header('Content-Type', type);
      c.header('Content-Disposition', `attachment; filename="${safeFilename(a.filename, a.md5)}"`);
      c.header('X-Content-Type-Options', 'nosniff');
      c.header('Content-Security-Policy', BODY_CSP);
      return c.body(new Uint8Array(data));
    },
  );

  // ------------------------------------------------------------------ account-wide

  reg.route(
    'get',
    '/inbox',
    {
      operationId: 'ListInboxMessages',
      summary: "All messages of the account's addresses (all mail for admins), newest first",
      tags: ['Messages'],
      auth: 'key',
      query: [LIMIT, { name: 'since', type: 'string', description: 'Only messages received since this ISO 8601 date' }, { name: 'skip', type: 'integer', description: 'Skip this many' }],
      responses: { 200: '{messages, unread, limit, skip}', 401: 'No key' },
    },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps);
      const since = dateParam(c.req.query('since'));
      const limit = intParam(c.req.query('limit'), 1, 1000);
      const skip = intParam(c.req.query('skip'), 0, 1_000_000);
      if (since === null || limit === null || skip === null) return apiError(c, 400, 'since must be a date, limit and skip numbers');
      const scope = accountScope(p);
      const ids = store.queries.list(scope, { limit: limit ?? 20, since, skip: skip ?? 0 });
      return c.json({ messages: listOf(ids), unread: store.queries.unread(scope), limit: limit ?? 20, skip: skip ?? 0 });
    },
  );

  reg.route(
    'get',
    '/inbox-filter',
    {
      operationId: 'FilterInboxMessages',
      summary: 'Account messages matching every given condition (at most 100)',
      tags: ['Messages'],
      auth: 'key',
      query: [
        { name: 'andSubjectIncludes', type: 'string', description: 'Subject contains this' },
        { name: 'andFrom', type: 'string', description: 'From contains this' },
        { name: 'andTo', type: 'string', description: 'To contains this, or the inbox is this' },
        { name: 'andRead', type: 'boolean', description: 'Read or unread' },
      ],
      responses: { 200: '{messages}', 400: 'No condition', 401: 'No key' },
    },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const q = (n: string) => {
        const v = c.req.query(n);
        return v === undefined || v === '' ? undefined : v.slice(0, 500);
      };
      const read = c.req.query('andRead');
      const f = { subject: q('andSubjectIncludes'), from: q('andFrom'), to: q('andTo'), read: bool(read) };
      if (read !== undefined && read !== '' && f.read === undefined) return apiError(c, 400, 'andRead must be true or false');
      if (f.subject === undefined && f.from === undefined && f.to === undefined && f.read === undefined) return apiError(c, 400, 'Give at least one of andSubjectIncludes, andFrom, andTo, andRead');
      return c.json({ messages: listOf(store.queries.filter(accountScope(principal(c, deps)), f, { limit: 100 })) });
    },
  );

  reg.route(
    'get',
    '/inbox-search',
    {
      operationId: 'SearchInboxMessages',
      summary: "Full-text search of the account's messages: subject, addresses and body (at most 100, newest first)",
      description: 'Words must all match; a word ending in * matches as a prefix. Any text is accepted: quotes and operators are searched as text.',
      tags: ['Messages'],
      auth: 'key',
      query: [{ name: 'query', type: 'string', description: 'Words to find' }, { name: 'inbox', type: 'string', description: 'Mailroom: search only this inbox (any inbox you may read)' }],
      responses: { 200: '{query, messages}', 401: 'No key', 403: 'inbox is private and not yours' },
    },
    (c) => {
      const query = (c.req.query('query') ?? '').slice(0, 1000);
      const inboxParam = c.req.query('inbox');
      let scope: Scope;
      if (inboxParam) {
        const a = canonicalAddress(inboxParam);
        if (!a) return apiError(c, 400, MSG.badEmail);
        const p = principal(c, deps);
        const access = inboxAccess(deps, a.inbox, p);
        if (access.kind !== 'public' && !access.read) return apiError(c, 403, MSG.forbidden);
        if (!access.read) return apiError(c, 401, MSG.noKey);
        scope = { kind: 'inbox', inbox: a.inbox };
      } else {
        const no = needUser(c);
        if (no) return no;
        scope = accountScope(principal(c, deps));
      }
      return c.json({ query, messages: listOf(store.queries.search(scope, query, { limit: 100 })) });
    },
  );

  // ------------------------------------------------------------------ domains

  const domainJson = (d: string) => ({ _id: d, isPrivate: false, verified: true, verifiedMx: true, hosted: false, enablews: false, isDefault: d === config.domains[0] });
  const domainParam = (c: C): string | Response => {
    const d = canonicalDomain(c.req.param('domain') ?? '');
    if (!d) return apiError(c, 400, 'Invalid domain');
    if (!config.domains.includes(d)) return apiError(c, 404, 'Mailroom does not receive mail for this domain');
    return d;
  };

  reg.route(
    'get',
    '/domains',
    { operationId: 'ListDomains', summary: 'The domains this Mailroom receives mail for', tags: ['Domains'], auth: 'key', responses: { 200: 'Domains', 401: 'No key' }, returns: 'DomainsList' },
    (c) => needUser(c) ?? c.json(config.domains.map(domainJson)),
  );

  reg.route(
    'get',
    '/domains/:domain',
    { operationId: 'GetDomain', summary: 'One domain and how many messages you can see in it', tags: ['Domains'], auth: 'key', responses: { 200: '{domain, totalMessages}', 401: 'No key', 404: 'Not a domain of this Mailroom' } },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const d = domainParam(c);
      if (d instanceof Response) return d;
      const p = principal(c, deps);
      const scope: Scope = isAdmin(p) ? { kind: 'domain', domain: d } : { kind: 'domain', domain: d, userId: p.kind === 'user' ? p.user.id : -1 };
      return c.json({ domain: domainJson(d), totalMessages: store.queries.count(scope) });
    },
  );

  reg.route(
    'get',
    '/domains/:domain/messages',
    {
      operationId: 'ListDomainMessages',
      summary: 'Messages of a domain, newest first: all of it for admins, your addresses in it for users',
      tags: ['Messages'],
      auth: 'key',
      query: [UNTIL, LIMIT],
      responses: { 200: 'Messages', 401: 'No key', 404: 'Not a domain of this Mailroom' },
      returns: 'EmailMessageList',
    },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const d = domainParam(c);
      if (d instanceof Response) return d;
      const until = dateParam(c.req.query('until'));
      const limit = intParam(c.req.query('limit'), 1, 1000);
      if (until === null || limit === null) return apiError(c, 400, 'until must be a date and limit a number');
      const p = principal(c, deps);
      if (isAdmin(p)) return c.json(store.messages.listDomain(d, { until, limit: limit ?? 20 }).map(json));
      return c.json(listOf(store.queries.list({ kind: 'domain', domain: d, userId: p.kind === 'user' ? p.user.id : -1 }, { until, limit: limit ?? 20 })));
    },
  );

  reg.route(
    'post',
    '/domains/:domain/delete-all-domain-mail',
    { operationId: 'DeleteAllDomainMessages', summary: 'Delete every message of a domain (admins)', tags: ['Messages'], auth: 'admin', responses: { 204: 'Deleted', 401: 'No key', 403: 'Not an admin', 404: 'Not a domain of this Mailroom' } },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      if (!isAdmin(principal(c, deps))) return apiError(c, 403, MSG.admin);
      const d = domainParam(c);
      if (d instanceof Response) return d;
      for (;;) {
        const ids = store.queries.list({ kind: 'domain', domain: d }, { limit: 500 });
        if (!ids.length) break;
        store.db.transaction(() => ids.forEach((id) => store.messages.delete(id)))();
      }
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------------ addresses

  /** Checks that an address may be reserved at all: a configured domain, not a reserved local part. */
  const reservable = (inbox: string, domain: string): string | null => {
    if (!config.domains.includes(domain)) return 'Mailroom does not receive mail for this domain';
    if (isReservedInbox(config, inbox)) return 'This local part is reserved for the operator';
    return null;
  };

  const forwarding = (body: Record<string, unknown>): ForwardingFields | string => {
    const f: ForwardingFields = {};
    const s = (k: string, max: number): string | null | undefined | false => {
      const v = body[k];
      if (v === undefined) return undefined;
      if (v === null || v === '') return null;
      if (typeof v !== 'string' || v.length > max) return false;
      return v;
    };
    const info = s('info', 1000);
    if (info === false) return 'info must be text up to 1000 characters';
    if (info !== undefined) f.info = info ?? '';
    const forward = s('forward', 320);
    if (forward === false) return 'forward must be an email address';
    const forwardWhy = forward ? forwardRefusal(config, forward) : null;
    if (forwardWhy) return forwardWhy;
    if (forward !== undefined) f.forward = forward ? canonicalAddress(forward)!.original : null;
    for (const [k, name] of [['webhook', 'webhook'], ['webhookSlack', 'webhookSlack']] as const) {
      const v = s(k, 2000);
      if (v === false || (v && !/^https?:\/\/[^\s]+$/i.test(v))) return `${name} must be an http(s) URL`;
      if (v !== undefined) f[k] = v;
    }
    // Mailsac's schema spells it enablews in requests and enabledws in one response; take both.
    const ws = body.enablews ?? body.enabledws;
    if (ws !== undefined) {
      const b = bool(ws);
      if (b === undefined) return 'enablews must be true or false';
      f.enablews = b;
    }
    if (body.webhookSlackToFrom !== undefined) {
      const b = bool(body.webhookSlackToFrom);
      if (b === undefined) return 'webhookSlackToFrom must be true or false';
      f.webhookSlackToFrom = b;
    }
    return f;
  };

  reg.route(
    'get',
    '/addresses',
    { operationId: 'ListAddresses', summary: 'Your private addresses', tags: ['Addresses'], auth: 'key', responses: { 200: 'Addresses', 401: 'No key' }, returns: 'EmailAddressList' },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps);
      return c.json(store.addresses.listForOwner(p.kind === 'user' ? p.user.id : -1).map((a) => addressJson(a, true)));
    },
  );

  /** The address parameter and who owns it; 400/401 as needed. */
  const addressTarget = (c: C) => {
    const no = needUser(c);
    if (no) return no;
    const a = canonicalAddress(c.req.param('email') ?? '');
    if (!a) return apiError(c, 400, MSG.badEmail);
    const p = principal(c, deps) as Extract<Principal, { kind: 'user' }>;
    const owned = store.addresses.get(a.inbox);
    const mine = owned !== null && (owned.ownerId === p.user.id || isAdmin(p));
    return { a, p, owned, mine };
  };

  reg.route(
    'get',
    '/addresses/:email',
    { operationId: 'GetAddress', summary: 'An address: yours, or not owned by anyone', tags: ['Addresses'], auth: 'key', pathDocs: EMAIL_DOC, responses: { 200: 'The address', 401: 'No key', 403: 'Owned by another account' }, returns: 'EmailAddress' },
    (c) => {
      const t = addressTarget(c);
      if (t instanceof Response) return t;
      if (t.owned && !t.mine) return apiError(c, 403, 'This address is owned by another account');
      return c.json(t.owned ? addressJson(t.owned, true) : unownedAddressJson(t.a.inbox));
    },
  );

  reg.route(
    'get',
    '/addresses/:email/availability',
    { operationId: 'CheckAvailability', summary: 'Whether an address can be reserved', tags: ['Addresses'], auth: 'key', pathDocs: EMAIL_DOC, responses: { 200: '{available, email, owned}', 401: 'No key' }, returns: 'EmailAddressAvailability' },
    (c) => {
      const t = addressTarget(c);
      if (t instanceof Response) return t;
      const owned = t.owned !== null || isReservedInbox(config, t.a.inbox);
      return c.json({ available: !owned && reservable(t.a.inbox, t.a.domain) === null, email: t.a.inbox, owned });
    },
  );

  const reserveOne = (inbox: string, domain: string, userId: number, fields: ForwardingFields): { ok: true } | { ok: false; status: 400 | 403; message: string } => {
    const why = reservable(inbox, domain);
    if (why) return { ok: false, status: 400, message: why };
    const owner = store.addresses.ownerOf(inbox);
    if (owner === userId) return { ok: false, status: 400, message: 'You already own this address' };
    if (owner !== null) return { ok: false, status: 403, message: 'This address is owned by another account' };
    store.addresses.reserve(inbox, userId, fields);
    return { ok: true };
  };

  reg.route(
    'post',
    '/addresses/:email',
    {
      operationId: 'CreateAddress',
      summary: 'Reserve a private address: its mail, past and future, becomes readable only by you and admins',
      tags: ['Addresses'],
      auth: 'key',
      pathDocs: EMAIL_DOC,
      body: FORWARD_BODY,
      responses: { 200: 'The address', 400: 'Already yours, reserved name or foreign domain', 401: 'No key', 403: 'Owned by another account' },
      returns: 'EmailAddress',
    },
    (c) => {
      const t = addressTarget(c);
      if (t instanceof Response) return t;
      const f = forwarding(bodyOf(c));
      if (typeof f === 'string') return apiError(c, 400, f);
      const r = reserveOne(t.a.inbox, t.a.domain, t.p.user.id, f);
      if (!r.ok) return apiError(c, r.status, r.message);
      return c.json(addressJson(store.addresses.get(t.a.inbox)!, true));
    },
  );

  const updateHandler = (c: C) => {
    const t = addressTarget(c);
    if (t instanceof Response) return t;
    if (t.owned && !t.mine) return apiError(c, 403, 'This address is owned by another account');
    if (!t.owned) return apiError(c, 400, 'Reserve the address first (POST /api/addresses/{email})');
    const f = forwarding(bodyOf(c));
    if (typeof f === 'string') return apiError(c, 400, f);
    return c.json(addressJson(store.addresses.update(t.a.inbox, f)!, true));
  };

  // The legacy path is the same operation under another name.
  const updateDocs = {
    tags: ['Addresses'],
    auth: 'key',
    pathDocs: EMAIL_DOC,
    body: FORWARD_BODY,
    responses: { 200: 'The address', 400: 'Not reserved, or bad field', 401: 'No key', 403: 'Owned by another account' },
    returns: 'EmailAddress',
  } satisfies Omit<RouteDoc, 'operationId' | 'summary'>;
  reg.route(
    'put',
    '/addresses/:email',
    {
      operationId: 'UpdateAddress',
      summary: 'Set the forwarding fields of a private address (stored; delivery by them comes later)',
      ...updateDocs,
    },
    updateHandler,
  );
  reg.route(
    'put',
    '/private-address-forwarding/:email',
    { operationId: 'UpdatePrivateAddressForwarding', summary: 'Legacy spelling of PUT /addresses/{email}', ...updateDocs },
    updateHandler,
  );

  reg.route(
    'delete',
    '/addresses/:email',
    {
      operationId: 'DeleteAddress',
      summary: 'Release a private address: it becomes public again',
      description: 'Its stored mail is deleted when deleteAddressMessages=true or when the operator set privacy.releaseDeletesMail; otherwise it becomes public with the address.',
      tags: ['Addresses'],
      auth: 'key',
      pathDocs: EMAIL_DOC,
      query: [{ name: 'deleteAddressMessages', type: 'boolean', description: 'Also delete its messages' }],
      responses: { 200: '{_id, message}', 400: 'Not reserved', 401: 'No key', 403: 'Owned by another account' },
    },
    (c) => {
      const t = addressTarget(c);
      if (t instanceof Response) return t;
      if (!t.owned) return apiError(c, 400, 'This address is not reserved');
      if (!t.mine) return apiError(c, 403, 'This address is owned by another account');
      const wipe = config.privacy.releaseDeletesMail || bool(c.req.query('deleteAddressMessages')) === true;
      // Mail goes first: a crash in between leaves a private address with less mail, never public mail that should be gone.
      store.db.transaction(() => {
        if (wipe) store.messages.deleteInbox(t.a.inbox);
        store.addresses.release(t.a.inbox);
      })();
      return c.json({ _id: t.a.inbox, message: wipe ? 'Address released and its messages deleted.' : 'Address released.' });
    },
  );

  reg.route(
    'post',
    '/private-addresses-bulk',
    {
      operationId: 'CreateAddresses',
      summary: 'Reserve up to 100 addresses at once: all or none',
      tags: ['Addresses'],
      auth: 'key',
      body: { addresses: { type: 'array', items: 'string', description: 'Email addresses' } },
      responses: { 200: 'The addresses', 400: 'Bad list, or one is unavailable (none reserved)', 401: 'No key' },
      returns: 'EmailAddressList',
    },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps) as Extract<Principal, { kind: 'user' }>;
      const list = bodyOf(c).addresses;
      if (!Array.isArray(list) || list.length === 0 || list.length > 100) return apiError(c, 400, 'addresses must be a list of 1 to 100 email addresses');
      const wanted: Array<{ inbox: string; domain: string }> = [];
      for (const item of list) {
        const a = typeof item === 'string' ? canonicalAddress(item) : null;
        if (!a) return apiError(c, 400, `${MSG.badEmail}: ${String(item).slice(0, 100)}`);
        if (!wanted.some((w) => w.inbox === a.inbox)) wanted.push({ inbox: a.inbox, domain: a.domain });
      }
      let failure: { status: 400 | 403; message: string } | null = null;
      try {
        store.db.transaction(() => {
          for (const w of wanted) {
            const r = reserveOne(w.inbox, w.domain, p.user.id, {});
            if (!r.ok) {
              failure = { status: 400, message: `${w.inbox}: ${r.message}` };
              throw new Error('rollback');
            }
          }
        })();
      } catch (err) {
        if (!failure) throw err;
      }
      if (failure) return apiError(c, (failure as { status: 400 }).status, (failure as { message: string }).message);
      return c.json(wanted.map((w) => addressJson(store.addresses.get(w.inbox)!, true)));
    },
  );

  // ------------------------------------------------------------------ account

  reg.route(
    'get',
    '/me',
    { operationId: 'User', summary: 'The account of this key', tags: ['Account'], auth: 'key', responses: { 200: 'Account', 401: 'No key' }, returns: 'CurrentUserInfo' },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps) as Extract<Principal, { kind: 'user' }>;
      return c.json({
        _id: p.user.username,
        email: p.user.email,
        role: p.user.role,
        created: iso(p.user.created),
        lastLogin: iso(p.user.lastLogin),
        apiKeyName: p.via === 'admin-key' ? 'MAILROOM_ADMIN_KEY' : (p.keyName ?? ''),
        apiAccess: 1,
        manyKeys: 1,
        privateAddressCredits: null,
        messageLimit: null,
      });
    },
  );

  reg.route(
    'get',
    '/me/stats',
    { operationId: 'AccountStats', summary: 'Addresses, domains and storage of the account', tags: ['Account'], auth: 'key', responses: { 200: 'Stats', 401: 'No key' }, returns: 'CurrentUserStats', query: [{ name: 'overrideAccountId', type: 'string', description: 'Ignored' }] },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps) as Extract<Principal, { kind: 'user' }>;
      const scope = accountScope(p);
      const usage = store.queries.usage(scope);
      const starred = store.queries.starred(scope, isAdmin(p) ? null : p.user.id, { limit: 1000 }).length;
      return c.json({
        addresses: store.addresses.listForOwner(p.user.id).map((a) => a.address),
        domains: config.domains,
        starredMessages: starred,
        storedMessages: usage.messages,
        inboxBytes: usage.bytes,
        lastMonthOps: 0,
        defaultDomain: config.domains[0],
      });
    },
  );

  // Data rights and the audit log (issue 4).
  registerPrivacyRoutes(reg, deps, apiError);
  registerWebhookRoutes(reg, deps, apiError);

  // ------------------------------------------------------------------ out of scope

  const notHere = (what: string) => (c: C) => apiError(c, 501, `${what} is not part of Mailroom`);
  const unsupported: Array<[Method, string, string, string]> = [
    ['get', '/validations/addresses/:email', 'ValidateAddress', 'Email validation'],
    ['post', '/validations/addresses', 'ValidateAddressesBulk', 'Email validation'],
    ['get', '/mailstats/common-attachments', 'ListPublicAttachments', 'Mail statistics'],
    ['get', '/mailstats/common-attachments/:md5sum', 'ListMessagesForAttachment', 'Mail statistics'],
    ['get', '/mailstats/common-attachments/:md5sum/count', 'CountPublicAttachments', 'Mail statistics'],
    ['get', '/mailstats/common-attachments/:md5sum/download', 'DownloadPublicAttachment', 'Mail statistics'],
    ['get', '/mailstats/top-addresses', 'ListTopPublicAddresses', 'Mail statistics'],
    ['get', '/mailstats/top-senders', 'ListTopPublicSenders', 'Mail statistics'],
    ['get', '/mailstats/top-domains', 'ListTopPublicDomains', 'Mail statistics'],
    ['get', '/mailstats/blacklist', 'Denylist', 'Mail statistics'],
    ['get', '/mailstats/blacklist/:domainOrIP', 'CheckDenylist', 'Mail statistics'],
    ['post', '/outgoing-messages', 'SendMessage', 'Sending mail'],
  ];
  for (const [method, path, operationId, what] of unsupported) {
    reg.route(method, path, { operationId, summary: `${what}: not served by Mailroom (501)`, tags: ['Not served'], auth: 'none', responses: { 501: 'Not implemented' } }, notHere(what));
  }

  // ------------------------------------------------------------------ description

  const serverUrl = (c: C) => (config.http.publicUrl || new URL(c.req.url).origin) + '/api';
  app.get('/openapi.json', (c) => c.json(buildOpenApi(reg.routes, serverUrl(c))));
  app.get('/docs', (c) => c.html(renderApiDocs(reg.routes, serverUrl(c))));

  app.all('*', (c) => apiError(c, 404, 'No such route'));
  return { app, routes: reg.routes };
}

const FORWARD_BODY = {
  info: { type: 'string', description: 'Your notes about this address' },
  forward: { type: 'string', description: 'Forward to this email address ("" or null: off)' },
  enablews: { type: 'boolean', description: 'Publish to web sockets' },
  webhook: { type: 'string', description: 'POST each message to this URL ("" or null: off)' },
  webhookSlack: { type: 'string', description: 'Slack webhook URL' },
  webhookSlackToFrom: { type: 'boolean', description: 'Include To and From in Slack posts' },
};
