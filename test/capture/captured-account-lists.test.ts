// Captured mail in the account-wide lists (issue 12): what an account sent
// through Email Capture to someone@gmail.com shows in its own search, filter,
// account inbox and starred list (API and pages), and admins see it; another
// account, or nobody signed in, never sees it there, even searching that
// same public inbox by name. Real SMTP sockets: nodemailer against the
// capture port and the MX port.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import nodemailer from 'nodemailer';
import { startTestMailroom } from '../helpers/mailroom.js';

type M = Awaited<ReturnType<typeof startTestMailroom>>;
let m: M;
let alice: { id: number; key: string };
let bob: { id: number; key: string };
let admin: { id: number; key: string };
let aliceCaptured = '';
let bobCaptured = '';

function capture(user: string, pass: string) {
  return nodemailer.createTransport({ host: '127.0.0.1', port: m.captureAddress!.port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass } });
}

async function get(path: string, key?: string): Promise<Response> {
  return fetch(`${m.http}${path}`, key ? { headers: { 'Mailsac-Key': key } } : {});
}

async function ids(path: string, key?: string): Promise<string[]> {
  const res = await get(path, key);
  assert.is(res.status, 200, `${path} answers 200`);
  const body = (await res.json()) as { messages?: Array<{ _id: string }> } | Array<{ _id: string }>;
  return (Array.isArray(body) ? body : body.messages ?? []).map((x) => x._id);
}

test.before(async () => {
  m = await startTestMailroom({}, { capture: true });
  const users = await Promise.all(['alice', 'bob', 'root'].map((username) => m.store.users.create({ username, role: username === 'root' ? 'admin' : 'user' })));
  [alice, bob, admin] = users.map((u) => ({ id: u.id, key: m.store.keys.create(u.id, 'app').key }));
  // Alice also owns an address with ordinary MX mail, so her lists are not only captured mail.
  await m.store.addresses.reserve('alice@mailroom.test', alice.id);
  await nodemailer
    .createTransport({ host: '127.0.0.1', port: m.smtpAddress.port, secure: false, ignoreTLS: true })
    .sendMail({ from: 'shop@example.org', to: 'alice@mailroom.test', subject: 'Receipt zebra', text: 'owned mail' });
  // Both accounts capture to the same outside address.
  await capture('alice', alice.key).sendMail({ from: 'alice', to: 'someone@gmail.com', subject: 'Order zebra confirmed', text: 'alice captured body' });
  await capture('bob', bob.key).sendMail({ from: 'bob', to: 'someone@gmail.com', subject: 'Order zebra shipped', text: 'bob captured body' });
  await m.parseQueue.idle();
  const all = m.store.messages.list('someone@gmail.com', { reader: { userId: null, admin: true } });
  aliceCaptured = all.find((x) => x.capturedBy === alice.id)!.id;
  bobCaptured = all.find((x) => x.capturedBy === bob.id)!.id;
  assert.ok(aliceCaptured && bobCaptured, 'both captures stored');
});
test.after(async () => m.cleanup());

test('inbox-search (Mailsac substring and fulltext) lists the sender its own captured copy and nobody else', async () => {
  for (const fulltext of ['', '&fulltext=true']) {
    const mine = await ids(`/api/inbox-search?query=zebra${fulltext}`, alice.key);
    assert.ok(mine.includes(aliceCaptured), `alice finds her captured mail (${fulltext || 'substring'})`);
    assert.not.ok(mine.includes(bobCaptured), 'never bob’s');
    assert.is(mine.length, 2, 'her owned mail and her captured copy');
    const his = await ids(`/api/inbox-search?query=zebra${fulltext}`, bob.key);
    assert.equal(his, [bobCaptured], 'bob finds only his own');
    const root = await ids(`/api/inbox-search?query=zebra${fulltext}`, admin.key);
    assert.ok(root.includes(aliceCaptured) && root.includes(bobCaptured), 'admins see every captured copy');
  }
});

test('searching the public inbox by name shows captured copies to their sender only (anonymous: none)', async () => {
  for (const fulltext of ['', '&fulltext=true']) {
    const q = `/api/inbox-search?query=zebra&inbox=someone@gmail.com${fulltext}`;
    assert.equal(await ids(q, alice.key), [aliceCaptured]);
    assert.equal(await ids(q, bob.key), [bobCaptured]);
    assert.equal(await ids(q), [], 'anonymous sees no captured mail');
  }
});

test('the account inbox, its unread count and inbox-filter include the captured copy for its sender', async () => {
  const res = await get('/api/inbox', alice.key);
  const page = (await res.json()) as { messages: Array<{ _id: string }>; unread: number };
  assert.ok(page.messages.some((x) => x._id === aliceCaptured));
  assert.not.ok(page.messages.some((x) => x._id === bobCaptured));
  assert.is(page.unread, 2, 'unread counts the captured copy, not bob’s');
  assert.equal(await ids('/api/inbox-filter?andSubjectIncludes=confirmed', alice.key), [aliceCaptured]);
  assert.equal(await ids('/api/inbox-filter?andSubjectIncludes=confirmed', bob.key), []);
  assert.equal(await ids('/api/inbox-filter?andTo=someone@gmail.com', bob.key), [bobCaptured]);
  assert.ok((await ids('/api/inbox-filter?andRead=false', alice.key)).includes(aliceCaptured), 'a filter with no text condition too');
});

test('starring a captured copy puts it on the sender’s starred list (API, stats and the mail page), on nobody else’s', async () => {
  const star = await fetch(`${m.http}/api/addresses/someone@gmail.com/messages/${aliceCaptured}/star`, { method: 'PUT', headers: { 'Mailsac-Key': alice.key } });
  assert.is(star.status, 200);
  assert.equal(await ids('/api/addresses/starred/messages', alice.key), [aliceCaptured]);
  assert.equal(await ids('/api/addresses/starred/messages', bob.key), []);
  assert.ok((await ids('/api/addresses/starred/messages', admin.key)).includes(aliceCaptured));
  const stats = (await (await get('/api/me/stats', alice.key)).json()) as { starredMessages: number };
  assert.is(stats.starredMessages, 1);

  // The pages: the account's mail list, its starred view and the search page.
  const starredPage = await (await get('/account/mail?starred=1', alice.key)).text();
  assert.match(starredPage, /Order zebra confirmed/);
  const bobStarred = await (await get('/account/mail?starred=1', bob.key)).text();
  assert.not.match(bobStarred, /Order zebra confirmed/);
  const mail = await (await get('/account/mail', alice.key)).text();
  assert.match(mail, /Order zebra confirmed/);
  assert.not.match(mail, /Order zebra shipped/);
  const search = await (await get('/search?q=zebra', alice.key)).text();
  assert.match(search, /Order zebra confirmed/);
  assert.match(search, /Receipt zebra/);
  assert.not.match(search, /Order zebra shipped/);
  const anonymous = await (await get('/search?q=zebra&inbox=someone@gmail.com')).text();
  assert.not.match(anonymous, /Order zebra/, 'the public search page shows no captured mail');
});

test('captured mail filed in another account’s private inbox stays out of the sender’s lists', async () => {
  await m.store.addresses.reserve('carol-private@mailroom.test', admin.id);
  await capture('bob', bob.key).sendMail({ from: 'bob', to: 'carol-private@mailroom.test', subject: 'into a private inbox quokka', text: 'x' });
  await m.parseQueue.idle();
  assert.equal(await ids('/api/inbox-search?query=quokka', bob.key), [], 'bob may not open that inbox, so it is not listed');
  assert.is((await ids('/api/inbox-search?query=quokka', admin.key)).length, 1);
});

test.run();
