// "Ready" (issue 10): nothing lists, counts or searches a message before its
// processing committed, a read by id in between waits (bounded), and the
// writer thread's ready notice reaches the main thread once per message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { ADMIN_KEY, startApiMailroom } from '../api/_helpers.js';
import { parseMessage } from '../../src/mail/parse.js';
import type { ReadyNotice } from '../../src/ingest/ready-events.js';
import { eraseData, exportData } from '../../src/services/data-rights.js';
import { localEraser, type Store } from '../../src/store/index.js';

/** Stores a message as the writer does before the 250, through the main thread's connection: the parse queue never sees it, so it stays not ready. */
function storeHeldBack(store: Store, inbox: string, subject: string): { id: string; contentId: number; raw: string } {
  const raw = simpleMessage({ to: inbox, subject, body: 'not parsed yet' });
  const { messageIds, contentId } = store.messages.insertReceived({
    raw: Buffer.from(raw),
    mailFrom: 'x@example.org',
    recipients: [{ inbox, original: inbox, domain: inbox.split('@')[1]! }],
    ip: '127.0.0.1',
    helo: 'test',
    tls: false,
    received: Date.now(),
  });
  return { id: messageIds[0]!, contentId, raw };
}

const api = async (base: string, path: string) => {
  const res = await fetch(base + path, { headers: { 'Mailsac-Key': ADMIN_KEY } });
  const type = res.headers.get('content-type') ?? '';
  return { res, body: type.includes('json') ? await res.json() : await res.text() };
};

test('200 messages over SMTP, the API polled right after each 250: never a message without its subject, sender, text and links', async () => {
  const m = await startApiMailroom();
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.hello();
  const inbox = 'poller@mailroom.test';
  const seen = new Set<string>();
  try {
    for (let i = 0; i < 200; i++) {
      const subject = `poll ${i}`;
      // Mailsac's published example checks the message's link right after it appears.
      const link = `https://example.org/confirm/${i}`;
      const body = `body of message ${i}, confirm at ${link} please`;
      const r = await c.send(`s${i}@example.org`, [inbox], simpleMessage({ to: inbox, from: `Sender ${i} <s${i}@example.org>`, subject, body }));
      assert.is(r.code, 250, r.text);
      const id = r.text.match(/stored as (\S+)/)![1]!;
      // The three reads a Mailsac-style test makes, issued together right after the 250.
      const [byId, text, list] = await Promise.all([
        api(m.http, `/api/addresses/${inbox}/messages/${id}`),
        api(m.http, `/api/text/${inbox}/${id}`),
        api(m.http, `/api/addresses/${inbox}/messages?limit=5`),
      ]);
      assert.is(byId.res.status, 200, `by id ${i}`);
      assert.is(byId.body.subject, subject);
      assert.is(byId.body.from[0].address, `s${i}@example.org`);
      assert.is(byId.body.parseState, 'ok');
      assert.equal(byId.body.links, [link], `links ${i}`);
      assert.is(text.res.status, 200, `text ${i}`);
      assert.match(text.body, body);
      for (const listed of list.body as Array<{ _id: string; subject: string; from: Array<{ address: string }>; parseState: string }>) {
        assert.match(listed.subject, /^poll \d+$/, `listed ${listed._id} has its subject`);
        assert.ok(listed.from[0]?.address, `listed ${listed._id} has its sender`);
        assert.is(listed.parseState, 'ok');
        seen.add(listed._id);
      }
    }
    assert.ok(seen.size >= 190, `the list showed the messages (${seen.size})`);
  } finally {
    await c.quit();
    await m.cleanup();
  }
});

test('a ready event is published once per message, with every recipient copy', async () => {
  const m = await startApiMailroom();
  const notices: ReadyNotice[] = [];
  const off = m.ready.subscribe((n) => notices.push(n));
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.hello();
  try {
    const started = Date.now();
    const rcpts = ['one@mailroom.test', 'two@mailroom.test', 'Two+tag@mailroom.test', 'three@example.test'];
    const r = await c.send('x@example.org', rcpts, simpleMessage({ to: rcpts.join(', '), subject: 'for three inboxes' }));
    assert.is(r.code, 250);
    const solo = await c.send('x@example.org', ['solo@mailroom.test'], simpleMessage({ to: 'solo@mailroom.test', subject: 'alone' }));
    assert.is(solo.code, 250);
    await m.parseQueue.idle();
    // idle() answers after the commit; the notice travels on the same port before that answer.
    const multi = notices.filter((n) => n.copies.some((x) => x.inbox === 'one@mailroom.test'));
    assert.is(multi.length, 1, 'one notice for the multi-recipient message');
    const n = multi[0]!;
    assert.is(n.state, 'ok');
    assert.ok(n.received >= started && n.received <= Date.now());
    assert.equal(n.copies.map((x) => x.inbox).sort(), ['one@mailroom.test', 'three@example.test', 'two@mailroom.test']);
    assert.equal(n.copies.find((x) => x.inbox === 'three@example.test')!.domain, 'example.test');
    for (const copy of n.copies) assert.is(m.store.messages.get(copy.id)!.contentId, n.contentId, 'copies are the stored entries');
    assert.is(notices.filter((x) => x.contentId === n.contentId).length, 1);
    assert.is(notices.length, 2, 'one notice per message');
  } finally {
    off();
    await c.quit();
    await m.cleanup();
  }
});

test('a message whose processing has not committed is not listed, counted or searched; a read by id waits, then 503 + Retry-After', async () => {
  const m = await startApiMailroom();
  const inbox = 'held@mailroom.test';
  try {
    // One message processed normally, for contrast.
    const c = await RawSmtp.connect(m.smtpAddress.port);
    await c.hello();
    assert.is((await c.send('x@example.org', [inbox], simpleMessage({ to: inbox, subject: 'normal zanzibar' }))).code, 250);
    await c.quit();
    await m.parseQueue.idle();
    // Held back deterministically: stored (as the writer does before the 250)
    // through the main thread's connection, so the parse queue never sees it.
    const { id, contentId } = storeHeldBack(m.store, inbox, 'held back zanzibar');

    const list = await api(m.http, `/api/addresses/${inbox}/messages`);
    assert.equal((list.body as Array<{ subject: string }>).map((x) => x.subject), ['normal zanzibar']);
    assert.is((await api(m.http, `/api/addresses/${inbox}/message-count`)).body.count, 1);
    const found = await api(m.http, `/api/inbox-search?query=zanzibar`);
    assert.equal(found.body.messages.map((x: { subject: string }) => x.subject), ['normal zanzibar']);
    assert.not.ok((await api(m.http, `/inbox/${inbox}`)).body.includes(id), 'not on the inbox page');
    assert.is((await api(m.http, '/healthz')).body.pending, 1, '/healthz counts it as pending');

    for (const path of [`/api/addresses/${inbox}/messages/${id}`, `/api/text/${inbox}/${id}`, `/api/raw/${inbox}/${id}`, `/api/addresses/${inbox}/messages/${id}/attachments`]) {
      const r = await api(m.http, path);
      assert.is(r.res.status, 503, path);
      assert.is(r.res.headers.get('retry-after'), '1', path);
      assert.is(r.body.status, 503, path);
    }
    const page = await api(m.http, `/inbox/${inbox}/${id}`);
    assert.is(page.res.status, 503);
    assert.is(page.res.headers.get('retry-after'), '1');

    // A read that starts waiting answers with the whole message once processing commits.
    const waiting = api(m.http, `/api/addresses/${inbox}/messages/${id}`);
    await new Promise((r) => setTimeout(r, 300)); // let the request start waiting; ordering, not an assertion
    m.store.messages.applyParse(contentId, await parseMessage(Buffer.from(m.store.messages.raw(contentId)!)));
    const r = await waiting;
    assert.is(r.res.status, 200);
    assert.is(r.body.subject, 'held back zanzibar');
    assert.is((await api(m.http, `/api/addresses/${inbox}/message-count`)).body.count, 2);
    assert.is((await api(m.http, '/healthz')).body.pending, 0);
  } finally {
    await m.cleanup();
  }
});

test('a message whose processing failed is ready too, alone, flagged', async () => {
  const m = await startApiMailroom();
  const inbox = 'broken@mailroom.test';
  try {
    const { messageIds, contentId } = m.store.messages.insertReceived({
      raw: Buffer.from('no header block at all'),
      mailFrom: 'x@example.org',
      recipients: [{ inbox, original: inbox, domain: 'mailroom.test' }],
      ip: '127.0.0.1',
      helo: 'test',
      tls: false,
      received: Date.now(),
    });
    const p = await parseMessage(Buffer.from('no header block at all'));
    m.store.messages.applyParse(contentId, { ...p, ok: false, error: 'forced for the test' });
    const list = await api(m.http, `/api/addresses/${inbox}/messages`);
    assert.equal(list.body.map((x: { _id: string; parseState: string }) => [x._id, x.parseState]), [[messageIds[0], 'failed']]);
    assert.is((await api(m.http, `/api/raw/${inbox}/${messageIds[0]}`)).res.status, 200);
  } finally {
    await m.cleanup();
  }
});

test('exports, erasure and bulk deletes cover messages that are not ready yet', async () => {
  const m = await startApiMailroom();
  try {
    const held = storeHeldBack(m.store, 'export@mailroom.test', 'held for export');
    const chunks: Buffer[] = [];
    const out = await exportData(m.store, { kind: 'address', inbox: 'export@mailroom.test' }, (c: Buffer) => void chunks.push(c), { config: m.config });
    assert.is(out.messages, 1, 'exported');
    assert.ok(Buffer.concat(chunks).includes(Buffer.from('held for export')), 'its raw bytes are in the export');
    const erased = await eraseData({ store: m.store, eraser: localEraser(m.store) }, { kind: 'address', inbox: 'export@mailroom.test' });
    assert.is(erased.messages, 1);
    assert.is(m.store.messages.isReady(held.id), null, 'erased');

    storeHeldBack(m.store, 'a@example.test', 'domain one');
    storeHeldBack(m.store, 'b@example.test', 'domain two');
    const del = await fetch(`${m.http}/api/domains/example.test/delete-all-domain-mail`, { method: 'POST', headers: { 'Mailsac-Key': ADMIN_KEY } });
    assert.is(del.status, 204);
    assert.is(m.store.messages.countAll('a@example.test') + m.store.messages.countAll('b@example.test'), 0, 'domain delete-all removed them');

    storeHeldBack(m.store, 'c@mailroom.test', 'inbox delete-all');
    const delInbox = await fetch(`${m.http}/api/addresses/c@mailroom.test/messages`, { method: 'DELETE', headers: { 'Mailsac-Key': ADMIN_KEY } });
    assert.ok(delInbox.status < 300, `inbox delete-all: ${delInbox.status}`);
    assert.is(m.store.messages.countAll('c@mailroom.test'), 0, 'inbox delete-all removed it');
  } finally {
    await m.cleanup();
  }
});

test.run();
