// A message's headers and bodies (raw, text, sanitized HTML, original HTML):
// a stranger's bytes, served under one sandbox policy (bodyResponse).
import type { Context } from 'hono';
import type { AppEnv } from '../deps.js';
import { messageBodiesFor } from '../../services/message-bodies.js';
import { rawHeaders } from '../../mail/raw-headers.js';
import type { MessageView } from '../../store/messages.js';
import type { ApiKit } from './kit.js';
import type { RouteDoc } from './registry.js';
import { apiError } from './errors.js';
import { DOWNLOAD, MSG_DOCS } from './params.js';
import { contentDisposition, servingHeaders, type Served } from '../../policy/serving.js';

type C = Context<AppEnv>;

/** A body route's answer must never run in our origin: headers from the one serving rule (policy/serving.ts). */
function bodyResponse(c: C, content: string | Buffer, type: string, download: boolean, filename: string, raw = false): Response {
  const served: Served = raw
    ? { kind: 'raw', download, filename }
    : { kind: 'body', contentType: type === 'text/html; charset=utf-8' ? type : 'text/plain; charset=utf-8', download, filename };
  return c.body(typeof content === 'string' ? content : new Uint8Array(content), 200, servingHeaders(served));
}

/** A text body already escaped and linked (services/message-bodies.ts), as a document. */
function textDocument(safeHtml: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"></head><body><pre style="white-space:pre-wrap">${safeHtml}</pre></body></html>`;
}

export function registerBodyRoutes(kit: ApiKit): void {
  const { reg, store, guardMessage } = kit;
  const headersDoc: RouteDoc = {
    operationId: 'GetHeaders',
    summary: 'Get the message headers',
    tags: ['Messages'],
    auth: 'inbox',
    pathDocs: MSG_DOCS,
    query: [{ name: 'messageHeadersFormat', type: 'string', enum: ['json', 'json-ordered', 'plain'], description: 'Default json: names lower-cased, values grouped' }, DOWNLOAD],
    responses: { 200: 'Headers', 400: 'Unknown format', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' },
    returns: 'MessageHeaders',
  };
  const headersHandler = async (c: C) => {
    const g = await guardMessage(c);
    if (g instanceof Response) return g;
    const format = c.req.query('messageHeadersFormat') || 'json';
    if (!['json', 'json-ordered', 'plain'].includes(format)) return apiError(c, 400, 'messageHeadersFormat must be json, json-ordered or plain');
    const body = await store.reader.body(g.m.contentId);
    let headers: Array<[string, string]> = body && g.m.parseState !== 'pending' ? body.headers : [];
    if (!headers.length) {
      const raw = await store.reader.raw(g.m.contentId);
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
    if (download) c.header('Content-Disposition', contentDisposition(`${g.m.id}-headers.json`, 'headers.json'));
    return c.json(out);
  };
  reg.route('get', '/addresses/:email/messages/:messageId/headers', headersDoc, headersHandler);
  // The old community client's spelling of the same route (issue 12).
  reg.route('get', '/headers/:email/:messageId', { ...headersDoc, operationId: 'GetHeadersLegacy', summary: 'Legacy spelling of GET /addresses/{email}/messages/{messageId}/headers' }, headersHandler);

  const bodyRoute = (
    path: string,
    operationId: string,
    summary: string,
    produce: (c: C, m: MessageView) => { content: string | Buffer; type: string; ext: string } | Promise<{ content: string | Buffer; type: string; ext: string }>,
  ) =>
    reg.route(
      'get',
      path,
      { operationId, summary, tags: ['Messages'], auth: 'inbox', pathDocs: MSG_DOCS, query: [DOWNLOAD], produces: path.startsWith('/raw') || path.startsWith('/text') ? 'text/plain' : 'text/html', responses: { 200: 'The body', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' } },
      async (c) => {
        const g = await guardMessage(c);
        if (g instanceof Response) return g;
        const out = await produce(c, g.m);
        return bodyResponse(c, out.content, out.type, c.req.query('download') === '1', `${g.m.id}.${out.ext}`, path.startsWith('/raw/'));
      },
    );

  bodyRoute('/raw/:email/:messageId', 'GetFullRawMessage', 'Get the original message as received (RFC 5322 source)', async (_c, m) => ({
    content: (await store.reader.raw(m.contentId)) ?? Buffer.alloc(0),
    type: 'text/plain; charset=utf-8',
    ext: 'eml',
  }));

  // Body forms come from walled render workers, cached (issue 10 part 2):
  // nothing here converts or scans a stranger's body on this thread.
  const messageBodies = messageBodiesFor(store);

  bodyRoute('/text/:email/:messageId', 'GetBodyPlainText', 'Get the plain text body', async (_c, m) => ({
    content: await messageBodies.plainText(m),
    type: 'text/plain; charset=utf-8',
    ext: 'txt',
  }));

  bodyRoute('/body/:email/:messageId', 'GetBodySanitized', 'Get the HTML body, sanitized (scripts, remote content and forms removed)', async (_c, m) => {
    const b = await messageBodies.apiBody(m);
    return { content: b.document ? textDocument(b.html) : b.html, type: 'text/html; charset=utf-8', ext: 'html' };
  });

  bodyRoute('/dirty/:email/:messageId', 'GetBodyDirty', 'Get the original HTML body with cid images inlined (served with a sandbox CSP)', async (_c, m) => {
    const b = await messageBodies.dirty(m);
    return { content: b.document ? textDocument(b.html) : b.html, type: 'text/html; charset=utf-8', ext: 'html' };
  });
}
