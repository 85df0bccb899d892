// The end-to-end suite both storage engines run (issue 14): real SMTP in,
// the Mailsac API, the web pages, the websocket and a webhook out, against
// one running node, with nothing read or written behind its back except
// users and keys made through the engine-neutral repositories. sqlite.test.ts
// runs it on the embedded default, postgres.test.ts on PostgreSQL.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import nodemailer from 'nodemailer';
import type { EngineStore } from '../../src/store/engine-store.js';
import { api } from '../api/_helpers.js';
import { connectWs, startReceiver, until, type Receiver } from '../push/_helpers.js';
import { verifySignature } from '../../src/push/signature.js';

export interface EngineNode {
  http: string;
  smtpPort: number;
  store: EngineStore;
  /** A local HTTP receiver the node may post webhooks to (webhooks.allowedPorts holds its port). */
  receiver: Receiver;
}

export const E2E_ADMIN_KEY = 'e2e-admin-key-0123456789abcdef';

async function user(store: EngineStore, username: string): Promise<{ id: number; key: string }> {
  const u = await store.data.users.create({ username });
  return { id: u.id, key: (await store.data.keys.create(u.id, `${username}-key`)).key };
}

async function send(node: EngineNode, to: string, subject: string, text: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: node.smtpPort, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ from: 'Sender Person <sender@example.org>', to, subject, text });
  } finally {
    transport.close();
  }
}

/** The inbox's messages once `n` are listed (a list shows ready messages only). */
async function listed(node: EngineNode, inbox: string, key: string, n: number): Promise<any[]> {
  let list: any[] = [];
  await until(async () => {
    const r = await api(node, 'GET', `/api/addresses/${inbox}/messages`, { key });
    list = r.status === 200 ? r.json : [];
    return list.length >= n;
  }, 15_000, `${n} messages in ${inbox}`);
  return list;
}

/** The receiver a caller starts before its node, so the node's config can allow its port. */
export const startE2eReceiver = startReceiver;

/** Webhook settings that let the node post to that receiver. */
export function e2eWebhooks(receiver: Receiver) {
  return { allowPrivateNetworks: true, allowedPorts: [receiver.port] };
}

/**
 * Registers the suite's tests on `test`. `node()` answers the running node
 * (started by the caller's before hook, with auth.adminKey E2E_ADMIN_KEY and
 * e2eWebhooks(receiver)).
 */
export function engineSuite(test: Test, node: () => EngineNode): void {
  test('mail received over SMTP is listed, read, searched and deleted through the Mailsac API', async () => {
    const n = node();
    const u = await user(n.store, 'reader1');
    await send(n, 'Public.Box+tag@mailroom.test', 'Hello across engines', 'the word zanzibar is in the body');
    const [m] = await listed(n, 'public.box@mailroom.test', u.key, 1);
    assert.is(m.subject, 'Hello across engines');
    assert.is(m.inbox, 'public.box@mailroom.test');
    assert.equal(m.from, [{ address: 'sender@example.org', name: 'Sender Person' }]);
    const text = await api(n, 'GET', `/api/text/public.box@mailroom.test/${m._id}`, { key: u.key });
    assert.is(text.status, 200);
    assert.match(text.text, /zanzibar/);
    const raw = await api(n, 'GET', `/api/raw/public.box@mailroom.test/${m._id}`, { key: u.key });
    assert.match(raw.text, /^Subject: Hello across engines\r$/m);
    const count = await api(n, 'GET', '/api/addresses/public.box@mailroom.test/message-count', { key: u.key });
    assert.equal(count.json, { count: 1, inbox: 'public.box@mailroom.test' });
    const found = await api(n, 'GET', '/api/inbox-search?fulltext=true&query=zanzibar', { key: E2E_ADMIN_KEY });
    assert.is(found.status, 200, found.text);
    assert.equal(found.json.messages.map((x: any) => x._id), [m._id]);
    const del = await api(n, 'DELETE', `/api/addresses/public.box@mailroom.test/messages/${m._id}`, { key: u.key });
    assert.is(del.status, 200, del.text);
    assert.is((await api(n, 'GET', `/api/addresses/public.box@mailroom.test/messages/${m._id}`, { key: u.key })).status, 404);
  });

  test('a private address: only its owner reads it, stars and flags stick', async () => {
    const n = node();
    const owner = await user(n.store, 'owner1');
    const other = await user(n.store, 'other1');
    const reserve = await api(n, 'POST', '/api/addresses/secret.box@mailroom.test', { key: owner.key });
    assert.is(reserve.status, 200, reserve.text);
    assert.is((await api(n, 'POST', '/api/addresses/secret.box@mailroom.test', { key: other.key })).status >= 400, true);
    await send(n, 'secret.box@mailroom.test', 'For the owner', 'private words');
    const [m] = await listed(n, 'secret.box@mailroom.test', owner.key, 1);
    assert.is((await api(n, 'GET', '/api/addresses/secret.box@mailroom.test/messages', { key: other.key })).status, 403);
    assert.is((await api(n, 'GET', '/api/addresses/secret.box@mailroom.test/messages')).status, 403);
    const star = await api(n, 'PUT', `/api/addresses/secret.box@mailroom.test/messages/${m._id}/star`, { key: owner.key });
    assert.is(star.status, 200, star.text);
    const starred = await api(n, 'GET', '/api/addresses/starred/messages', { key: owner.key });
    assert.equal(starred.json.map((x: any) => x._id), [m._id]);
    await api(n, 'PUT', `/api/addresses/secret.box@mailroom.test/messages/${m._id}/labels/invoices`, { key: owner.key });
    const again = await api(n, 'GET', `/api/addresses/secret.box@mailroom.test/messages/${m._id}`, { key: owner.key });
    assert.equal(again.json.labels, ['invoices']);
    const mine = await api(n, 'GET', '/api/addresses', { key: owner.key });
    assert.equal(mine.json.map((a: any) => a._id), ['secret.box@mailroom.test']);
    assert.is((await api(n, 'DELETE', '/api/addresses/secret.box@mailroom.test', { key: owner.key })).status, 200);
    assert.equal((await api(n, 'GET', '/api/addresses', { key: owner.key })).json, []);
  });

  test('the websocket and a signed webhook both carry new mail', async () => {
    const n = node();
    const owner = await user(n.store, 'pusher1');
    const receiver = n.receiver;
    {
      await api(n, 'POST', '/api/addresses/pushed@mailroom.test', { key: owner.key });
      const put = await api(n, 'PUT', '/api/private-address-forwarding/pushed@mailroom.test', { key: owner.key, body: { webhook: `${receiver.url}/hook`, enablews: true } });
      assert.is(put.status, 200, put.text);
      const ws = connectWs(`${n.http.replace('http', 'ws')}/incoming-messages?key=${owner.key}&addresses=pushed@mailroom.test`);
      await ws.next((f) => f.status === 200);
      const posted = receiver.nextRequest();
      await send(n, 'pushed@mailroom.test', 'Pushed both ways', 'push body');
      const frame = await ws.next((f) => f.subject !== undefined);
      assert.is(frame.subject, 'Pushed both ways');
      const req = await posted;
      assert.is(JSON.parse(req.body).subject, 'Pushed both ways');
      const secret = (await api(n, 'GET', '/api/me/webhook-secret', { key: owner.key })).json.secret;
      assert.ok(verifySignature(secret, String(req.headers['mailroom-signature']), req.body), 'signature verifies');
      ws.ws.close();
    }
  });

  test('the web UI shows a public inbox and its message; /healthz answers ok', async () => {
    const n = node();
    await send(n, 'web.box@mailroom.test', 'Seen on the page', 'page body');
    const [m] = await listed(n, 'web.box@mailroom.test', E2E_ADMIN_KEY, 1);
    const page = await fetch(`${n.http}/inbox/web.box@mailroom.test`);
    assert.is(page.status, 200);
    assert.match(await page.text(), /Seen on the page/);
    const view = await fetch(`${n.http}/inbox/web.box@mailroom.test/${m._id}`);
    assert.is(view.status, 200);
    assert.match(await view.text(), /Seen on the page/);
    const health = await fetch(`${n.http}/healthz`);
    const h = await health.json();
    assert.is(health.status, 200);
    assert.is(h.store.ok, true);
  });

  test('export and erasure of an address through the API', async () => {
    const n = node();
    const owner = await user(n.store, 'eraser1');
    await api(n, 'POST', '/api/addresses/gone.box@mailroom.test', { key: owner.key });
    await send(n, 'gone.box@mailroom.test', 'To be erased', 'erase me');
    await listed(n, 'gone.box@mailroom.test', owner.key, 1);
    const exp = await fetch(`${n.http}/api/addresses/gone.box@mailroom.test/export`, { headers: { 'Mailsac-Key': owner.key } });
    assert.is(exp.status, 200);
    assert.match(String(exp.headers.get('content-type')), /zip/);
    assert.ok((await exp.arrayBuffer()).byteLength > 100);
    const erase = await api(n, 'DELETE', '/api/addresses/gone.box@mailroom.test/data', { key: owner.key });
    assert.is(erase.status, 200, erase.text);
    assert.is((await api(n, 'GET', '/api/addresses/gone.box@mailroom.test/message-count', { key: E2E_ADMIN_KEY })).json.count, 0);
  });
}
