// The receiver over real sockets: what it accepts, refuses, and stores.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import nodemailer from 'nodemailer';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { startTestMailroom } from '../helpers/mailroom.js';
import { splitTrace } from '../helpers/trace.js';

type M = Awaited<ReturnType<typeof startTestMailroom>>;
let m: M;

test.before(async () => {
  m = await startTestMailroom({ smtp: { maxMessageSize: 64 * 1024, maxRecipients: 5 } as never });
});
test.after(async () => {
  await m.cleanup();
});

function counts(): { contents: number; messages: number } {
  const s = m.store.messages.stats();
  return { contents: s.contents, messages: s.messages };
}

async function session(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.hello();
  return c;
}

test('nodemailer delivers a message: 250 after the commit, parsed afterwards', async () => {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: m.smtpAddress.port, secure: false, ignoreTLS: true });
  const info = await t.sendMail({
    from: '"Ada" <ada@example.org>',
    to: 'first@mailroom.test',
    subject: 'Hello Mailroom',
    text: 'plain body',
    html: '<p>html body</p>',
  });
  t.close();
  assert.match(info.response, /^250 2\.0\.0/);
  await m.parseQueue.idle();
  const [msg] = m.store.messages.list('first@mailroom.test');
  assert.ok(msg, 'message listed');
  assert.is(msg.subject, 'Hello Mailroom');
  assert.equal(msg.from, [{ address: 'ada@example.org', name: 'Ada' }]);
  assert.is(msg.parseState, 'ok');
  assert.is(msg.mailFrom, 'ada@example.org');
  const body = m.store.messages.body(msg.contentId)!;
  assert.is(body.text.trim(), 'plain body');
  assert.match(body.html, /html body/);
});

test('bad-input 1: RCPT to a domain not served gets 550 5.7.1 and nothing is stored', async () => {
  const before = counts();
  const c = await session();
  assert.is((await c.command('MAIL FROM:<x@example.org>')).code, 250);
  const r = await c.command('RCPT TO:<victim@elsewhere.example>');
  assert.is(r.code, 550);
  assert.match(r.text, /^5\.7\.1/);
  assert.is((await c.command('DATA')).code, 503);
  await c.quit();
  assert.equal(counts(), before);
});

test('bad-input 2: source routes, bang paths and quoted local parts are refused', async () => {
  const c = await session();
  await c.command('MAIL FROM:<x@example.org>');
  for (const rcpt of ['<@mailroom.test:victim@other.example>', '<other.example!victim>', '<"victim@other.example"@mailroom.test>']) {
    const r = await c.command(`RCPT TO:${rcpt}`);
    assert.ok([501, 550, 553].includes(r.code), `${rcpt} answered ${r.code} ${r.text}`);
  }
  await c.quit();
});

test('bad-input 3: the percent hack is a literal local inbox, never forwarded', async () => {
  const c = await session();
  const r = await c.send('x@example.org', ['user%other.example@mailroom.test'], simpleMessage({ to: 'x', subject: 'pct' }));
  assert.is(r.code, 250);
  await c.quit();
  assert.is(m.store.messages.countAll('user%other.example@mailroom.test'), 1);
});

test('sub-addressing lands in the base inbox and keeps the original address', async () => {
  const c = await session();
  const r = await c.send('x@example.org', ['Tagged+News@MailRoom.Test'], simpleMessage({ to: 'x', subject: 'tagged' }));
  assert.is(r.code, 250);
  await c.quit();
  await m.parseQueue.idle(); // listed once ready (issue 10)
  const [msg] = m.store.messages.list('tagged@mailroom.test');
  assert.ok(msg);
  assert.is(msg.originalInbox, 'Tagged+News@mailroom.test');
});

test('bad-input 5 and 62: one message entry per canonical inbox, whatever the spelling', async () => {
  const before = counts();
  const c = await session();
  const r = await c.send(
    'x@example.org',
    ['same@mailroom.test', 'SAME@mailroom.test', 'Same+x@MAILROOM.TEST', 'other@mailroom.test'],
    simpleMessage({ to: 'x', subject: 'dupes' }),
  );
  assert.is(r.code, 250);
  await c.quit();
  const after = counts();
  assert.is(after.contents - before.contents, 1, 'one raw copy');
  assert.is(after.messages - before.messages, 2, 'one entry per distinct inbox');
  assert.is(m.store.messages.countAll('same@mailroom.test'), 1);
});

test('one stored raw copy however many recipients; each inbox gets its own entry', async () => {
  const c = await session();
  const r = await c.send('x@example.org', ['r1@mailroom.test', 'r2@mailroom.test', 'r3@example.test'], simpleMessage({ to: 'x', subject: 'multi' }));
  assert.is(r.code, 250);
  await c.quit();
  await m.parseQueue.idle(); // listed once ready (issue 10)
  const a = m.store.messages.list('r1@mailroom.test')[0];
  const b = m.store.messages.list('r2@mailroom.test')[0];
  const d = m.store.messages.list('r3@example.test')[0];
  assert.ok(a && b && d);
  assert.is(a.contentId, b.contentId);
  assert.is(a.contentId, d.contentId);
  assert.not.equal(a.id, b.id);
  assert.is(d.domain, 'example.test');
});

test('bad-input 4: past maxRecipients the next RCPT gets 452 4.5.3 and the first ones are delivered', async () => {
  const c = await session();
  await c.command('MAIL FROM:<x@example.org>');
  for (let i = 0; i < 5; i++) assert.is((await c.command(`RCPT TO:<many${i}@mailroom.test>`)).code, 250);
  const r = await c.command('RCPT TO:<many5@mailroom.test>');
  assert.is(r.code, 452);
  assert.match(r.text, /^4\.5\.3/);
  assert.is((await c.command('DATA')).code, 354);
  c.write(simpleMessage({ to: 'x', subject: 'many' }) + '\r\n.\r\n');
  assert.is((await c.reply()).code, 250);
  await c.quit();
  for (let i = 0; i < 5; i++) assert.is(m.store.messages.countAll(`many${i}@mailroom.test`), 1);
  assert.is(m.store.messages.countAll('many5@mailroom.test'), 0);
});

test('bad-input 6: SIZE= over the limit gets 552 5.3.4 at MAIL', async () => {
  const c = await session();
  const r = await c.command(`MAIL FROM:<x@example.org> SIZE=${64 * 1024 + 1}`);
  assert.is(r.code, 552);
  assert.match(r.text, /^5\.3\.4/);
  await c.quit();
});

test('bad-input 7 and 16: a body over the limit without SIZE gets 552 after the dot and nothing is stored', async () => {
  const before = counts();
  const c = await session();
  await c.command('MAIL FROM:<x@example.org>');
  await c.command('RCPT TO:<big@mailroom.test>');
  assert.is((await c.command('DATA')).code, 354);
  c.write(simpleMessage({ to: 'x', subject: 'big' }));
  // One long line with no CRLF, larger than the limit.
  c.write('x'.repeat(200 * 1024));
  c.write('\r\n.\r\n');
  const r = await c.reply();
  assert.is(r.code, 552);
  assert.match(r.text, /^5\.3\.4/);
  // The session stays usable for the next transaction.
  assert.is((await c.command('RSET')).code, 250);
  await c.quit();
  assert.equal(counts(), before);
});

test('no AUTH on the receiving port, STARTTLS offered without a configured certificate (self-signed, issue 12), SIZE announced', async () => {
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.reply();
  const ehlo = await c.command('EHLO client.test');
  assert.not.match(ehlo.text, /AUTH/);
  assert.match(ehlo.text, /STARTTLS/);
  assert.match(ehlo.text, /SIZE/);
  const auth = await c.command('AUTH PLAIN AGJvYgBib2I=');
  assert.ok(auth.code >= 500, `AUTH answered ${auth.code}`);
  await c.quit();
});

test('bad-input 27: control characters in MAIL FROM are refused', async () => {
  const c = await session();
  const r = await c.command('MAIL FROM:<a\u0001b@example.org>');
  assert.ok(r.code >= 500 && r.code < 600, `answered ${r.code}`);
  await c.quit();
});

test('bad-input 28: the null sender is accepted', async () => {
  const c = await session();
  const r = await c.send('', ['bounces@mailroom.test'], simpleMessage({ to: 'x', subject: 'dsn' }));
  assert.is(r.code, 250);
  await c.quit();
  await m.parseQueue.idle(); // listed once ready (issue 10)
  assert.is(m.store.messages.list('bounces@mailroom.test')[0].mailFrom, '');
});

test('bad-input 13 and 14: bare-LF dots are body bytes; dot-stuffing is undone; exactly one message', async () => {
  const before = counts();
  const c = await session();
  await c.command('MAIL FROM:<x@example.org>');
  await c.command('RCPT TO:<smuggle@mailroom.test>');
  await c.command('DATA');
  const body =
    'Subject: smuggle\r\n\r\nline one\n.\nMAIL FROM:<evil@example.org>\n.\r\nRCPT TO:<victim@mailroom.test>\r\n..dotted\r\n';
  c.write(body + '.\r\n');
  const r = await c.reply();
  assert.is(r.code, 250);
  await c.quit();
  const after = counts();
  assert.is(after.contents - before.contents, 1);
  assert.is(m.store.messages.countAll('victim@mailroom.test'), 0);
  await m.parseQueue.idle(); // listed once ready (issue 10)
  const msg = m.store.messages.list('smuggle@mailroom.test')[0];
  const raw = m.store.messages.raw(msg.contentId)!.toString('latin1');
  assert.ok(raw.includes('\n.\nMAIL FROM:<evil@example.org>\n.\r\n'), 'smuggled lines kept as body bytes');
  assert.ok(raw.includes('\r\n.dotted\r\n'), 'dot-stuffing removed');
});

test('bad-input 15: NUL, bare CR and 8-bit bytes are stored byte-exact', async () => {
  const c = await session();
  const payload = Buffer.concat([
    Buffer.from('Subject: bytes\r\n\r\nnul:'),
    Buffer.from([0x00, 0x0d, 0x41, 0xe9, 0xff, 0x80]),
    Buffer.from('\r\n'),
  ]);
  await c.command('MAIL FROM:<x@example.org>');
  await c.command('RCPT TO:<bytes@mailroom.test>');
  await c.command('DATA');
  c.write(Buffer.concat([payload, Buffer.from('.\r\n')]));
  assert.is((await c.reply()).code, 250);
  await c.quit();
  await m.parseQueue.idle();
  const msg = m.store.messages.list('bytes@mailroom.test')[0];
  assert.equal(splitTrace(m.store.messages.raw(msg.contentId)).rest, payload);
});

test('bad-input 12: a client dropping mid-DATA stores nothing and its connection is released', async () => {
  const before = counts();
  const c = await session();
  await c.command('MAIL FROM:<x@example.org>');
  await c.command('RCPT TO:<dropped@mailroom.test>');
  await c.command('DATA');
  c.write('Subject: half\r\n\r\nhalf a mess');
  await new Promise((r) => setTimeout(r, 50));
  c.socket.destroy();
  for (let i = 0; i < 250 && m.smtp.connections > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.is(m.smtp.connections, 0);
  assert.equal(counts(), before);
});

test('bad-input 18: a client talking before the banner is refused', async () => {
  // An address that has not waited for a greeting before (127.0.0.1 has, in the tests above).
  const c = await RawSmtp.connect(m.smtpAddress.port, '127.0.0.1', '127.0.0.9');
  c.write('EHLO early.test\r\n');
  const r = await c.reply();
  assert.is(r.code, 421);
  await c.quit();
});

test('bad-input 20: DATA before RCPT gets 503', async () => {
  const c = await session();
  await c.command('MAIL FROM:<x@example.org>');
  assert.is((await c.command('DATA')).code, 503);
  await c.quit();
});

test('bad-input 21: pipelined MAIL/RCPT×3/DATA get replies in order; the message is stored once', async () => {
  const before = counts();
  const c = await session();
  c.write('MAIL FROM:<x@example.org>\r\nRCPT TO:<p1@mailroom.test>\r\nRCPT TO:<p2@mailroom.test>\r\nRCPT TO:<p3@mailroom.test>\r\nDATA\r\n');
  const codes = [];
  for (let i = 0; i < 5; i++) codes.push((await c.reply()).code);
  assert.equal(codes, [250, 250, 250, 250, 354]);
  c.write(simpleMessage({ to: 'x', subject: 'piped' }) + '\r\n.\r\n');
  assert.is((await c.reply()).code, 250);
  await c.quit();
  const after = counts();
  assert.is(after.contents - before.contents, 1);
  assert.is(after.messages - before.messages, 3);
});

test('bad-input 30: more than 100 Received headers is a loop: 554 5.4.6, nothing stored', async () => {
  const before = counts();
  const c = await session();
  const hops = Array.from({ length: 101 }, (_, i) => `Received: from hop${i}.example by hop${i + 1}.example; Sun, 29 Nov 2026 09:00:00 +0000`);
  const r = await c.send('x@example.org', ['loop@mailroom.test'], simpleMessage({ to: 'x', subject: 'loop', extraHeaders: hops }));
  assert.is(r.code, 554);
  assert.match(r.text, /^5\.4\.6/);
  await c.quit();
  assert.equal(counts(), before);
});

test('reserved local parts are accepted but kept for admins (default)', async () => {
  const c = await session();
  const r = await c.send('x@example.org', ['postmaster@mailroom.test'], simpleMessage({ to: 'x', subject: 'pm' }));
  assert.is(r.code, 250);
  await c.quit();
  assert.is(m.store.messages.countAll('postmaster@mailroom.test'), 1);
});

test.run();
