// A message's headers and bodies (raw, text, sanitized HTML, original HTML):
// a stranger's bytes, served under one sandbox policy (bodyResponse).
import type { Context } from 'hono';
import type { AppEnv } from '../deps.js';
import { sanitizeHtml } from '../../mail/sanitize.js';
import { textToSafeHtml } from '../../mail/text.js';
import { rawHeaders } from '../../mail/parse.js';
import type { MessageView } from '../../store/messages.js';
import type { ApiKit } from './kit.js';
import { apiError } from './errors.js';
import { DOWNLOAD, MSG_DOCS } from './params.js';

type C = Context<AppEnv>;

// A body route's answer must never run in our origin: the same sandbox CSP as
// the UI's message frame (GUIDE "Showing mail from strangers").
export const BODY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'";

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

export function registerBodyRoutes(kit: ApiKit): void {
  const { reg, store, guardMessage } = kit;
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
    async (c) => {
      const g = await guardMessage(c, 'read');
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
      async (c) => {
        const g = await guardMessage(c, 'read');
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
}
