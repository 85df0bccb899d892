// /api/openapi.json and its readable page /api/docs, built from the routes
// registered in ApiRegistry (see registry.ts): paths, methods, parameters and
// summaries come from the same objects that mount the handlers, and the
// response schemas are the shapes the JSON builders are typed by (schemas.ts).
import { escapeHtml } from '../../mail/text.js';
import type { ParamDoc, RecordedRoute } from './registry.js';
import { SCHEMAS } from './schemas.js';


export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function param(p: ParamDoc, where: 'query' | 'path') {
  return {
    name: p.name,
    in: where,
    required: where === 'path' ? true : Boolean(p.required),
    ...(p.description ? { description: p.description } : {}),
    schema: { type: p.type, ...(p.enum ? { enum: p.enum } : {}) },
  };
}

export function buildOpenApi(routes: RecordedRoute[], serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const security =
      r.auth === 'none' ? [] : r.auth === 'inbox' ? [{}, { APIKeyHeader: [] }, { APIKeyQueryParam: [] }] : [{ APIKeyHeader: [] }, { APIKeyQueryParam: [] }];
    const parameters = [
      ...r.pathParams.map((name) => param({ name, type: 'string', description: r.pathDocs?.[name] }, 'path')),
      ...(r.query ?? []).map((q) => param(q, 'query')),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(r.responses)) {
      const ok = status.startsWith('2') && status !== '204';
      responses[status] = {
        description,
        content: ok
          ? r.produces
            ? { [r.produces]: { schema: { type: 'string', ...(r.produces === 'application/octet-stream' ? { format: 'binary' } : {}) } } }
            : { 'application/json': { schema: r.returns ? { $ref: `#/components/schemas/${r.returns}` } : { type: 'object' } } }
          : status === '204'
            ? undefined
            : { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: r.tags,
      security,
      parameters,
      responses,
      'x-mailroom-auth': r.auth,
    };
    if (r.body) {
      op.requestBody = {
        required: false,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: Object.fromEntries(
                Object.entries(r.body).map(([k, v]) => [k, { type: v.type, ...(v.items ? { items: { type: v.items } } : {}), ...(v.description ? { description: v.description } : {}) }]),
              ),
            },
          },
        },
      };
    }
    (paths[openApiPath(r.path)] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Mailroom API',
      version: '1',
      description:
        'The Mailsac-compatible REST API of this Mailroom. Send an API key in the Mailsac-Key header ' +
        '(or the _mailsacKey query parameter or JSON body field). Public inboxes can be read without one.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        APIKeyHeader: { type: 'apiKey', in: 'header', name: 'Mailsac-Key' },
        APIKeyQueryParam: { type: 'apiKey', in: 'query', name: '_mailsacKey' },
      },
      schemas: SCHEMAS,
    },
    paths,
  };
}

const AUTH_TEXT: Record<string, string> = {
  inbox: 'no key for public inboxes; owner or admin key for private ones',
  key: 'any API key',
  admin: 'an admin key',
  none: 'none',
};

/** The same description as a plain HTML page: no scripts, everything escaped. */
export function renderApiDocs(routes: RecordedRoute[], serverUrl: string): string {
  const e = escapeHtml;
  const groups = new Map<string, RecordedRoute[]>();
  for (const r of routes) {
    const tag = r.tags[0] ?? 'Other';
    if (!groups.has(tag)) groups.set(tag, []);
    groups.get(tag)!.push(r);
  }
  let body = '';
  for (const [tag, list] of groups) {
    body += `<h2 id="${e(tag.toLowerCase())}">${e(tag)}</h2>`;
    for (const r of list) {
      const params = [
        ...r.pathParams.map((n) => `<li><code>${e(n)}</code> (path)${r.pathDocs?.[n] ? ' — ' + e(r.pathDocs[n]!) : ''}</li>`),
        ...(r.query ?? []).map(
          (q) => `<li><code>${e(q.name)}</code> (query, ${e(q.type)}${q.enum ? ': ' + e(q.enum.join(' | ')) : ''})${q.description ? ' — ' + e(q.description) : ''}</li>`,
        ),
        ...Object.entries(r.body ?? {}).map(([k, v]) => `<li><code>${e(k)}</code> (JSON body, ${e(v.type)})${v.description ? ' — ' + e(v.description) : ''}</li>`),
      ];
      body +=
        `<section class="op"><h3><span class="m m-${r.method}">${r.method.toUpperCase()}</span> <code>${e(openApiPath(r.path))}</code></h3>` +
        `<p>${e(r.summary)}</p>${r.description ? `<p class="d">${e(r.description)}</p>` : ''}` +
        `<p class="k">Key: ${e(AUTH_TEXT[r.auth] ?? r.auth)}</p>` +
        (params.length ? `<ul>${params.join('')}</ul>` : '') +
        `<p class="r">${Object.entries(r.responses).map(([s, d]) => `<b>${e(s)}</b> ${e(d)}`).join(' · ')}</p></section>`;
    }
  }
  const toc = [...groups.keys()].map((t) => `<a href="#${e(t.toLowerCase())}">${e(t)}</a>`).join(' · ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mailroom API</title><style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code{font:13px ui-monospace,monospace;background:#f3f3f3;padding:0 .2em}
.op{border-top:1px solid #ddd;padding:.5rem 0}.op h3{margin:.2rem 0;font-size:1rem}
.m{display:inline-block;min-width:4.5em;font:bold 12px ui-monospace,monospace;color:#fff;background:#555;padding:.1em .4em;border-radius:3px;text-align:center}
.m-get{background:#2a7}.m-post{background:#27c}.m-put{background:#c80}.m-delete{background:#c33}
.k,.r,.d{color:#555;font-size:14px;margin:.2rem 0}
</style></head><body><h1>Mailroom API</h1>
<p>Base URL: <code>${e(serverUrl)}</code>. Send your key in the <code>Mailsac-Key</code> header. Machine-readable: <a href="openapi.json">openapi.json</a>. Keys: <a href="/account">your account</a>.</p>
<p>${toc}</p>${body}</body></html>`;
}
