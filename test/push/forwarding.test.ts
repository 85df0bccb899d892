// Forwarding (issue 11): only to another inbox of this Mailroom, refused
// with a clear error otherwise (API and account page alike); a forwarded
// message appears in the target inbox and the target's push settings apply.
import { withDatabaseFile } from '../helpers/database-file.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startApiMailroom, makeUser, sendMail, api } from '../api/_helpers.js';
import { connectWs, startReceiver } from './_helpers.js';

test('a forward to an outside address is refused when it is set, with a clear error', async () => {
  const m = await startApiMailroom();
  try {
    const u = await makeUser(m.store, 'fwd1');
    await api(m, 'POST', '/api/addresses/src@mailroom.test', { key: u.key });
    const out = await api(m, 'PUT', '/api/private-address-forwarding/src@mailroom.test', { key: u.key, body: { forward: 'someone@gmail.com' } });
    assert.is(out.status, 400);
    assert.match(out.json.message, /never sends mail out/);
    const reserved = await api(m, 'PUT', '/api/private-address-forwarding/src@mailroom.test', { key: u.key, body: { forward: 'postmaster@mailroom.test' } });
    assert.is(reserved.status, 400);
    assert.is(m.store.addresses.get('src@mailroom.test')!.forward, null, 'nothing stored');
    const ok = await api(m, 'PUT', '/api/private-address-forwarding/src@mailroom.test', { key: u.key, body: { forward: 'dst@example.test' } });
    assert.is(ok.status, 200);
    assert.is(ok.json.forward, 'dst@example.test');
  } finally {
    await m.cleanup();
  }
});

test('a forwarded message appears in the target inbox (originalInbox: where it was sent) and the target webhook and websocket fire', async () => {
  const r = await startReceiver();
  const m = await startApiMailroom({ webhooks: { allowPrivateNetworks: true, allowedPorts: [r.port] } } as never);
  try {
    const u = await makeUser(m.store, 'fwd2');
    m.store.addresses.reserve('from@mailroom.test', u.id, { forward: 'to@mailroom.test' });
    m.store.addresses.reserve('to@mailroom.test', u.id, { enablews: true, webhook: `${r.url}/fwd`, forward: 'from@mailroom.test' });
    const c = connectWs(`ws://127.0.0.1:${m.httpAddress.port}/incoming-messages?key=${u.key}&addresses=to@mailroom.test`);
    await c.next();
    const hook = r.nextRequest();
    await sendMail(m, { to: 'from+tag@mailroom.test', subject: 'please forward' });
    const listed = (await api(m, 'GET', '/api/addresses/to@mailroom.test/messages', { key: u.key })).json;
    assert.is(listed.length, 1);
    assert.is(listed[0].subject, 'please forward');
    assert.is(listed[0].originalInbox, 'from+tag@mailroom.test');
    assert.is((await api(m, 'GET', '/api/addresses/from@mailroom.test/messages', { key: u.key })).json.length, 1, 'the original stays');
    const frame = await c.next((f) => f.subject === 'please forward');
    assert.is(frame.inbox, 'to@mailroom.test');
    assert.is(JSON.parse((await hook).body).inbox, 'to@mailroom.test');
    // One hop: the two addresses forward to each other, and nothing loops.
    const total = withDatabaseFile(m.store, (db) => db.prepare(`SELECT count(*) FROM messages`).pluck().get());
    assert.is(total, 2);
    c.ws.close();
  } finally {
    await m.cleanup();
    await r.close();
  }
});

test.run();
