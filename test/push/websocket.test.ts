// Mailsac's websocket at /incoming-messages (issue 11) with a real `ws`
// client against a real Mailroom: the documented frames for mail sent over
// SMTP, who may watch what, Origin, limits, pings, slow readers, revocation.
import { withDatabaseFile } from '../helpers/database-file.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startApiMailroom, makeUser, sendMail, api, ADMIN_KEY } from '../api/_helpers.js';
import { connectWs, until } from './_helpers.js';
import type { LocalReadyEvents } from '../../src/ingest/ready-events.js';

const ws = (m: { httpAddress: { port: number } }, query: string) => `ws://127.0.0.1:${m.httpAddress.port}/incoming-messages?${query}`;

test('frames: Listening first, then one frame per ready message in the documented shape (flat, status 200, email)', async () => {
  const m = await startApiMailroom();
  try {
    const u = await makeUser(m.store, 'wsuser');
    m.store.addresses.reserve('watched@mailroom.test', u.id, { enablews: true });
    const c = connectWs(ws(m, `key=${u.key}&addresses=Watched@mailroom.test,example.test`));
    const first = await c.next();
    assert.equal(first, { status: 200, msg: 'Listening', addresses: ['watched@mailroom.test'], domains: ['example.test'] });

    await sendMail(m, { to: 'watched@mailroom.test', subject: 'Über <b>frames</b>', text: 'plain body', html: '<p>html body</p>' });
    const f = await c.next((x) => x.subject !== undefined);
    assert.is(f.status, 200);
    assert.is(f.subject, 'Über <b>frames</b>');
    assert.is(f.inbox, 'watched@mailroom.test');
    assert.match(f.text, /plain body/);
    assert.match(f.html, /<p>html body<\/p>/);
    assert.match(f.raw, /Subject: =\?UTF-8\?|Subject: Über/);
    assert.equal(f.headers.subject, ['Über <b>frames</b>']);
    // The email property is the same object (the newer documented shape).
    const { status, email, ...flat } = f;
    assert.equal(email, flat);
    // Every field of the API's message metadata is there, with the same values.
    const listed = (await api(m, 'GET', '/api/addresses/watched@mailroom.test/messages', { key: u.key })).json[0];
    for (const [k, v] of Object.entries(listed)) assert.equal(flat[k], v, `field ${k}`);

    // A public inbox of a watched domain is pushed too; another domain is not.
    await sendMail(m, { to: 'anyone@mailroom.test', subject: 'not watched' });
    await sendMail(m, { to: 'open@example.test', subject: 'domain watched' });
    const g = await c.next((x) => x.subject !== undefined);
    assert.is(g.subject, 'domain watched');
    assert.is(g.email.inbox, 'open@example.test');
    c.ws.close();
  } finally {
    await m.cleanup();
  }
});

test('bad-input 64: refused with an error frame, then closed: no key, bad key, private not yours, enablews off, unknown domain', async () => {
  const m = await startApiMailroom();
  try {
    const owner = await makeUser(m.store, 'owner1');
    const other = await makeUser(m.store, 'other1');
    m.store.addresses.reserve('mine@mailroom.test', owner.id, { enablews: true });
    m.store.addresses.reserve('quiet@mailroom.test', owner.id, { enablews: false });
    const cases: Array<[string, number, RegExp]> = [
      ['addresses=mine@mailroom.test', 401, /API key is required/],
      ['key=mr_wrong&addresses=mine@mailroom.test', 401, /Invalid API key/],
      [`key=${other.key}&addresses=mine@mailroom.test`, 403, /private and not yours/],
      [`key=${owner.key}&addresses=quiet@mailroom.test`, 403, /enablews/],
      [`key=${owner.key}&addresses=elsewhere.example`, 400, /does not receive mail/],
      [`key=${owner.key}`, 400, /at least one address/],
    ];
    for (const [q, status, error] of cases) {
      const c = connectWs(ws(m, q));
      const f = await c.next();
      assert.is(f.status, status, q);
      assert.match(f.error, error);
      const closed = await c.closed;
      assert.ok(closed.code === 1008, `${q}: closed with ${closed.code}`);
    }
    // The admin key may watch anything readable; the owner's address with enablews too.
    const ok = connectWs(ws(m, `key=${owner.key}&addresses=mine@mailroom.test`));
    assert.is((await ok.next()).status, 200);
    const admin = connectWs(ws(m, `key=${ADMIN_KEY}&addresses=mine@mailroom.test,postmaster@mailroom.test`));
    assert.is((await admin.next()).status, 200);
    ok.ws.close();
    admin.ws.close();
  } finally {
    await m.cleanup();
  }
});

test('bad-input 64: events are scoped per inbox: a private address is not pushed to a domain watcher who does not own it', async () => {
  const m = await startApiMailroom();
  try {
    const owner = await makeUser(m.store, 'owner2');
    const other = await makeUser(m.store, 'other2');
    m.store.addresses.reserve('secret@mailroom.test', owner.id, { enablews: true });
    const c = connectWs(ws(m, `key=${other.key}&addresses=mailroom.test`));
    await c.next();
    await sendMail(m, { to: 'secret@mailroom.test', subject: 'private one' });
    await sendMail(m, { to: 'public@mailroom.test', subject: 'public one' });
    const f = await c.next((x) => x.subject !== undefined);
    assert.is(f.subject, 'public one');
    assert.not.ok(c.frames.some((x) => x.subject === 'private one'));
    c.ws.close();
  } finally {
    await m.cleanup();
  }
});

test('websocket.publicInboxes off: public inboxes may not be watched', async () => {
  const m = await startApiMailroom({ websocket: { publicInboxes: false } } as never);
  try {
    const u = await makeUser(m.store, 'nopublic');
    const c = connectWs(ws(m, `key=${u.key}&addresses=somebody@mailroom.test`));
    const f = await c.next();
    assert.is(f.status, 403);
    assert.match(f.error, /public inboxes is turned off/);
    // A domain watcher gets nothing from public inboxes either.
    const d = connectWs(ws(m, `key=${u.key}&addresses=mailroom.test`));
    assert.is((await d.next()).status, 200);
    await sendMail(m, { to: 'somebody@mailroom.test', subject: 'public mail' });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(d.frames, []);
    d.ws.close();
  } finally {
    await m.cleanup();
  }
});

test('bad-input 64: a browser websocket from another origin is refused (403); the same origin is accepted', async () => {
  const m = await startApiMailroom({ http: { publicUrl: 'https://mail.example.test' } } as never);
  try {
    const u = await makeUser(m.store, 'origin');
    const url = ws(m, `key=${u.key}&addresses=x@mailroom.test`);
    for (const origin of ['http://evil.example', 'https://mail.example.test.evil.example', 'null']) {
      const c = connectWs(url, { origin });
      const status = await new Promise<number>((resolve) => c.ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
      assert.is(status, 403, origin);
    }
    for (const origin of ['https://mail.example.test', `http://127.0.0.1:${m.httpAddress.port}`]) {
      const c = connectWs(url, { origin });
      assert.is((await c.next()).status, 200, origin);
      c.ws.close();
    }
  } finally {
    await m.cleanup();
  }
});

test('websocket.maxConnectionsPerKey and websocket.maxConnectionsPerIp: past the limit, refused', async () => {
  const m = await startApiMailroom({ websocket: { maxConnectionsPerKey: 2, maxConnectionsPerIp: 3 } } as never);
  try {
    const a = await makeUser(m.store, 'limita');
    const b = await makeUser(m.store, 'limitb');
    const open = [connectWs(ws(m, `key=${a.key}&addresses=x@mailroom.test`)), connectWs(ws(m, `key=${a.key}&addresses=x@mailroom.test`))];
    for (const c of open) assert.is((await c.next()).status, 200);
    const third = connectWs(ws(m, `key=${a.key}&addresses=x@mailroom.test`));
    const f = await third.next();
    assert.is(f.status, 429);
    assert.match(f.error, /per API key/);
    await third.closed;
    // Another key from the same address: the third socket from 127.0.0.1 is fine, the fourth is not.
    const other = connectWs(ws(m, `key=${b.key}&addresses=x@mailroom.test`));
    assert.is((await other.next()).status, 200);
    const fourth = connectWs(ws(m, `key=${b.key}&addresses=x@mailroom.test`));
    const status = await new Promise<number>((resolve) => fourth.ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.is(status, 429);
    // Closing one frees a place.
    open[0]!.ws.close();
    await open[0]!.closed;
    await until(() => m.push.hub.connections === 2, 2000, 'the close to be counted');
    const again = connectWs(ws(m, `key=${a.key}&addresses=x@mailroom.test`));
    assert.is((await again.next()).status, 200);
    [open[1]!, other, again].forEach((c) => c.ws.close());
  } finally {
    await m.cleanup();
  }
});

test('websocket.pingIntervalMs: the server pings; a peer that never answers is dropped', async () => {
  const m = await startApiMailroom({ websocket: { pingIntervalMs: 150 } } as never);
  try {
    const u = await makeUser(m.store, 'pinged');
    const c = connectWs(ws(m, `key=${u.key}&addresses=x@mailroom.test`));
    await c.next();
    let pings = 0;
    c.ws.on('ping', () => pings++);
    await until(() => pings >= 2, 3000, 'two pings');
    // A client whose pongs stop (autoPong off) is closed by the server.
    const silent = connectWs(ws(m, `key=${u.key}&addresses=x@mailroom.test`), { autoPong: false });
    await silent.next();
    const closed = await Promise.race([silent.closed, new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
    assert.ok(closed !== null, 'silent peer closed');
    assert.ok(c.ws.readyState === c.ws.OPEN, 'the answering peer stays');
    c.ws.close();
  } finally {
    await m.cleanup();
  }
});

test('websocket.maxBufferedBytes: a reader that stops reading is dropped, not buffered without bound', async () => {
  const m = await startApiMailroom({ websocket: { maxBufferedBytes: 64 * 1024 } } as never);
  try {
    const u = await makeUser(m.store, 'slow');
    m.store.addresses.reserve('slow@mailroom.test', u.id, { enablews: true });
    const c = connectWs(ws(m, `key=${u.key}&addresses=slow@mailroom.test`));
    await c.next();
    await sendMail(m, { to: 'slow@mailroom.test', subject: 'big', text: 'x'.repeat(200_000) });
    await c.next((x) => x.subject === 'big');
    // Stop reading: the kernel buffers fill, then ws's own buffer grows.
    (c.ws as any)._socket.pause();
    const notice = { contentId: 0, state: 'ok' as const, received: Date.now(), copies: [] as Array<{ id: string; inbox: string; domain: string }> };
    const row = withDatabaseFile(m.store, (db) => db.prepare(`SELECT id, content_id FROM messages WHERE inbox = 'slow@mailroom.test'`).get()) as { id: string; content_id: number };
    notice.contentId = row.content_id;
    notice.copies = [{ id: row.id, inbox: 'slow@mailroom.test', domain: 'mailroom.test' }];
    for (let i = 0; i < 400 && m.push.hub.stats.droppedSlow === 0; i++) {
      (m.ready as LocalReadyEvents).publish(notice);
      // The hub reads each message's payload asynchronously before it sends (issue 14's async
      // reads): a timer, not setImmediate, gives each publish the time to reach the socket.
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.is(m.push.hub.stats.droppedSlow, 1);
    await until(() => m.push.hub.connections === 0, 3000, 'the slow socket to go');
  } finally {
    await m.cleanup();
  }
});

test('a key revoked while connected closes its socket with an error frame', async () => {
  const m = await startApiMailroom();
  try {
    const u = await m.store.users.create({ username: 'revokee', role: 'user' });
    const { key, record } = m.store.keys.create(u.id, 'soon revoked');
    const c = connectWs(ws(m, `key=${key}&addresses=x@mailroom.test`));
    await c.next();
    // A valid key survives the periodic checks (one runs every second)...
    await new Promise((r) => setTimeout(r, 2200));
    assert.equal(c.frames, []);
    assert.is(c.ws.readyState, c.ws.OPEN);
    // ...a revoked one does not.
    m.store.keys.revoke(record.id);
    const f = await c.next(undefined, 3000);
    assert.equal(f, { status: 401, error: 'API key revoked' });
    assert.is((await c.closed).code, 1008);
  } finally {
    await m.cleanup();
  }
});

test('other paths are not upgraded', async () => {
  const m = await startApiMailroom();
  try {
    const c = connectWs(`ws://127.0.0.1:${m.httpAddress.port}/api/anything`);
    const status = await new Promise<number>((resolve) => c.ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.is(status, 404);
  } finally {
    await m.cleanup();
  }
});

test.run();
