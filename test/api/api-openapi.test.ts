// /api/openapi.json is generated from the registered routes: every path it
// lists is served, every route served is listed, and it covers what the
// official client calls. /api/docs is its readable page.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { api, makeUser, startApiMailroom, type TestMailroom } from './_helpers.js';

let m: TestMailroom;
let key: string;

test.before(async () => {
  m = await startApiMailroom();
  key = (await makeUser(m.store, 'reader')).key;
});

test.after(async () => {
  await m?.cleanup();
});

test('openapi.json describes the served routes', async () => {
  const res = await api(m, 'GET', '/api/openapi.json');
  assert.is(res.status, 200);
  const doc = res.json;
  assert.is(doc.openapi, '3.0.3');
  assert.is(doc.servers[0].url, `${m.http}/api`);
  let ops = 0;
  for (const [path, methods] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(methods)) {
      ops++;
      assert.type(op.summary, 'string');
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((x) => x[1]);
      assert.equal(op.parameters.filter((p: any) => p.in === 'path').map((p: any) => p.name), names, `${method} ${path}`);
      // Served: a concrete request reaches a handler, never the API's catch-all 404.
      const concrete = path.replace(/\{(\w+)\}/g, (_, n) => (n === 'email' ? 'someone@mailroom.test' : n === 'domain' ? 'mailroom.test' : 'x'));
      const r = await api(m, method.toUpperCase(), '/api' + concrete, { key });
      assert.not.ok(r.status === 404 && r.json?.message === 'No such route', `${method} ${path} is listed but not served`);
    }
  }
  assert.ok(ops >= 40, `${ops} operations`);
});

test('covers every operation of Mailsac\'s description it claims, with the same operationId', async () => {
  const mailsac = parse(readFileSync(new URL('../fixtures/mailsac-openapi.yml', import.meta.url), 'utf8'));
  const ours = (await api(m, 'GET', '/api/openapi.json')).json;
  const byId = new Map<string, string>();
  for (const [path, methods] of Object.entries<Record<string, any>>(ours.paths)) for (const [method, op] of Object.entries<any>(methods)) byId.set(op.operationId, `${method} ${path}`);
  const missing: string[] = [];
  for (const [path, methods] of Object.entries<Record<string, any>>(mailsac.paths)) {
    for (const [method, op] of Object.entries<any>(methods)) {
      if (!op?.operationId || op.operationId.startsWith('_doNotUse') || path.includes(':')) continue;
      const mine = byId.get(op.operationId);
      if (!mine) missing.push(`${op.operationId} ${method} ${path}`);
      else assert.is(mine, `${method} ${path}`, op.operationId);
    }
  }
  assert.equal(missing, []);
});

test('the docs page is readable HTML without scripts', async () => {
  const res = await api(m, 'GET', '/api/docs');
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.ok(res.text.includes('/addresses/{email}/messages'));
  assert.not.ok(/<script/i.test(res.text));
});

test.run();
