// Every route's real answer against /api/openapi.json (issue 12, "Done
// means": "The OpenAPI document is checked by a test against real responses
// of every route"). On a seeded Mailroom each recorded route is called by a
// key that may use it, with the inputs it needs; its status must be one the
// document lists, and its JSON body must match the documented schema with no
// field the schema does not name (additionalProperties is closed here, so an
// under-described shape fails). A second pass without a key checks that the
// refusals are documented too and have the Error shape.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { createApi } from '../../src/http/api/index.js';
import type { RecordedRoute } from '../../src/http/api/registry.js';
import { openApiPath } from '../../src/http/api/openapi.js';
import { silentLogger } from '../../src/log.js';
import { ADMIN_KEY, api, makeUser, md5, rawMessage, startApiMailroom, storeRaw, type TestMailroom } from './_helpers.js';

const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;
const addFormats = (addFormatsModule as unknown as { default: typeof addFormatsModule }).default ?? addFormatsModule;

const PRIVATE = 'checked.box@mailroom.test';
const ATTACHMENT = 'bytes of the attachment';

let m: TestMailroom;
let owner: { id: number; key: string };
let routes: RecordedRoute[];
let doc: any;
let fresh = 0;
const txt = new Map<string, string[][]>();

test.before(async () => {
  // DNS answers for domain verification come from this stub, never the network.
  m = await startApiMailroom({}, { resolveTxt: async (name) => txt.get(name) ?? [] });
  owner = await makeUser(m.store, 'checker');
  m.store.addresses.reserve(PRIVATE, owner.id);
  routes = createApi({ config: m.config, store: m.store, log: silentLogger(), health: () => ({}) as never }).routes;
  doc = (await api(m, 'GET', '/api/openapi.json')).json;
});

test.after(async () => {
  await m?.cleanup();
});

/** The document's schemas with every object closed: a field the schema does not name is an error. */
function closed(schema: any): any {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([n, s]) => [n, closed(s)])) : closed(v);
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined && Object.keys(out.properties).length > 0) out.additionalProperties = false;
  return out;
}

function validator() {
  const ajv = new (Ajv as any)({ allErrors: true, strict: false });
  (addFormats as any)(ajv);
  ajv.addSchema({ $id: 'doc', components: { schemas: closed(doc.components.schemas) } });
  return (schema: unknown, value: unknown): string | null => {
    const validate = ajv.compile({ $id: `s${fresh++}`, ...(closed(rewriteRefs(schema)) as object) });
    return validate(value) ? null : ajv.errorsText(validate.errors);
  };
}

/** '#/components/...' inside an operation means the document's; point it at the schema added as 'doc'. */
function rewriteRefs(s: any): any {
  if (Array.isArray(s)) return s.map(rewriteRefs);
  if (s === null || typeof s !== 'object') return s;
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? `doc${v}` : rewriteRefs(v)]));
}

/** A message in the private inbox, fresh for each call (some routes delete it). */
async function seed(): Promise<{ id: string }> {
  return storeRaw(m.store, rawMessage({ to: PRIVATE, subject: 'Hello checker', text: 'see https://example.org/x', attachment: { filename: 'a.txt', content: ATTACHMENT } }), PRIVATE);
}

interface Call {
  path: string;
  key: string;
  body?: unknown;
}

async function callFor(r: RecordedRoute): Promise<Call> {
  const { id } = await seed();
  const n = ++fresh;
  let email = PRIVATE;
  let username = 'checker';
  let body: unknown;
  let query = '';
  if (r.path === '/addresses/:email' && r.method === 'post') email = `new${n}@mailroom.test`;
  if (r.path === '/users/:username/data') username = (await makeUser(m.store, `gone${n}`)).id ? `gone${n}` : '';
  if (r.path === '/private-addresses-bulk') body = { addresses: [`bulk${n}@mailroom.test`] };
  if (r.path === '/outgoing-messages') body = { to: `sent${n}@mailroom.test`, from: 'app@example.org', subject: 'Sent through the API', text: 'hello' };
  if (r.path === '/addresses/:email/messages/:messageId/labels') body = { labels: ['one', 'two'] };
  if (r.path === '/domains/:domain' && r.method === 'put') body = { enablews: true, webhook: 'https://hooks.example/in' };
  if (r.path === '/inbox-filter') query = '?andSubjectIncludes=hello';
  if (r.path === '/inbox-search') query = '?query=hello';
  // Your own domains: a fresh one to add; one the owner added for the rest (the admin key may manage it).
  let domain = 'mailroom.test';
  if (r.path === '/domains/:domain' && r.method === 'post') domain = `new${n}.example`;
  else if (['/domains/:domain/setup', '/domains/:domain/verify', '/domains/:domain/privacy/:isPrivateBoolean', '/domains/:domain/catch-all/:enabled'].includes(r.path) || (r.path === '/domains/:domain' && (r.method === 'delete' || r.method === 'put'))) {
    domain = `own${n}.example`;
    m.store.domains.add(domain, owner.id, `token${n}`);
    txt.set(domain, [['v=spf1 -all'], [`mailroom-verification=token${n}`]]);
  }
  const path =
    r.path
      .replace(':email', encodeURIComponent(email))
      .replace(':messageId', id)
      .replace(':label', 'work')
      .replace(':folder', 'spam')
      .replace(':readBoolean', 'true')
      .replace(':attachmentIdentifier', md5(ATTACHMENT))
      .replace(':domain', domain)
      .replace(':isPrivateBoolean', 'false')
      .replace(':enabled', 'true')
      .replace(':md5sum', md5(ATTACHMENT))
      .replace(':domainOrIP', 'example.org')
      .replace(':username', username) + query;
  // The admin key may use every route; inbox routes are called by the inbox's owner.
  return { path: '/api' + path, key: r.auth === 'inbox' ? owner.key : ADMIN_KEY, body };
}

test('every route answers what /api/openapi.json says, for a caller who may use it', async () => {
  const check = validator();
  const failures: string[] = [];
  let validated = 0;
  for (const r of routes) {
    const op = doc.paths[openApiPath(r.path)]?.[r.method];
    const name = `${r.method.toUpperCase()} ${r.path}`;
    if (!op) {
      failures.push(`${name}: not in the document`);
      continue;
    }
    const call = await callFor(r);
    const res = await api(m, r.method.toUpperCase(), call.path, { key: call.key, body: call.body });
    const documented = op.responses[String(res.status)];
    if (!documented) {
      failures.push(`${name}: ${res.status} is not documented (${Object.keys(op.responses).join(', ')}) ${res.text.slice(0, 100)}`);
      continue;
    }
    if (r.auth !== 'none' && res.status >= 300) failures.push(`${name}: ${res.status} for a caller who may use it: ${res.text.slice(0, 100)}`);
    const content = documented.content;
    if (!content) continue;
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    // A download (format binary, as Mailsac documents it) is served with the attachment's own type.
    const media = content[type] ?? (content['application/octet-stream']?.schema?.format === 'binary' ? content['application/octet-stream'] : undefined);
    if (!media) {
      failures.push(`${name}: answered ${type}, documented ${Object.keys(content).join(', ')}`);
      continue;
    }
    if (type !== 'application/json') continue;
    const problem = check(media.schema, res.json);
    if (problem) failures.push(`${name}: ${problem}`);
    else validated++;
  }
  assert.equal(failures, []);
  assert.ok(validated >= 35, `only ${validated} JSON answers validated`);
});

test('refusals without a key are documented and have the Error shape', async () => {
  const check = validator();
  const failures: string[] = [];
  for (const r of routes) {
    const op = doc.paths[openApiPath(r.path)][r.method];
    const call = await callFor(r);
    const res = await api(m, r.method.toUpperCase(), call.path, { body: call.body });
    if (res.status < 400) continue;
    if (!op.responses[String(res.status)]) failures.push(`${r.method.toUpperCase()} ${r.path}: ${res.status} not documented`);
    const problem = check({ $ref: '#/components/schemas/Error' }, res.json);
    if (problem) failures.push(`${r.method.toUpperCase()} ${r.path}: ${problem}`);
  }
  assert.equal(failures, []);
});

test('the closed schemas do catch an undescribed field', async () => {
  const check = validator();
  const { id } = await seed();
  const msg = (await api(m, 'GET', `/api/addresses/${PRIVATE}/messages/${id}`, { key: owner.key })).json;
  assert.is(check({ $ref: '#/components/schemas/EmailMessage' }, msg), null);
  assert.ok(check({ $ref: '#/components/schemas/EmailMessage' }, { ...msg, surprise: 1 }));
  assert.ok(check({ $ref: '#/components/schemas/EmailMessage' }, { ...msg, read: false, size: 'big' }));
});

test.run();
