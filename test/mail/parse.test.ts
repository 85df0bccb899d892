import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parseMessage, decodeWords, parseDate } from '../../src/mail/parse.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'utf8');

test('fixtures are stored with CRLF line endings', () => {
  for (const f of ['multipart-alternative.eml', 'attachment-pdf.eml', 'inline-cid-image.eml', 'latin1-charset.eml', 'encoded-word-subject.eml', 'malformed.eml', 'hostile.eml']) {
    const s = fixture(f).toString('latin1');
    assert.not.match(s, /[^\r]\n/, `${f} has a bare LF`);
  }
});

test('multipart-alternative.eml: addresses, date, bodies, headers in order, links', async () => {
  const m = await parseMessage(fixture('multipart-alternative.eml'));
  assert.is(m.ok, true);
  assert.is(m.error, '');
  assert.is(m.subject, 'Your order #1042 has shipped');
  assert.equal(m.from, [{ address: 'newsletter@shop.example', name: 'Example Shop' }]);
  assert.equal(m.to, [{ address: 'alice@mailroom.test', name: 'Alice Reader' }]);
  assert.equal(m.cc, [{ address: 'bob@mailroom.test', name: '' }]);
  assert.equal(m.bcc, []);
  assert.equal(m.replyTo, [{ address: 'support@shop.example', name: '' }]);
  assert.is(m.date, Date.UTC(2024, 4, 14, 9, 30, 5));
  assert.is(m.messageId, '<20240514093005.1042@shop.example>');
  assert.match(m.text, /Your order #1042 has shipped/);
  assert.match(m.html, /<b>#1042<\/b>/);
  assert.equal(m.headers.map(([n]) => n).slice(0, 4), ['Return-Path', 'Received', 'From', 'To']);
  const received = m.headers.find(([n]) => n === 'Received')![1];
  assert.not.match(received, /[\r\n]/, 'folded header is unfolded');
  assert.match(received, /by mx\.mailroom\.test/);
  assert.equal(m.links, ['https://shop.example/track?id=1042&ref=mail', 'https://shop.example/help']);
  assert.is(m.attachments.length, 0);
});

test('attachment-pdf.eml: decoded content, md5 and sha256, filename, type', async () => {
  const m = await parseMessage(fixture('attachment-pdf.eml'));
  assert.is(m.ok, true);
  assert.is(m.attachments.length, 1);
  const a = m.attachments[0]!;
  assert.is(a.filename, 'invoice-2024-051.pdf');
  assert.is(a.contentType, 'application/pdf');
  assert.ok(a.content.subarray(0, 5).equals(Buffer.from('%PDF-')));
  assert.is(a.size, a.content.length);
  assert.is(a.md5, createHash('md5').update(a.content).digest('hex'));
  assert.is(a.sha256, createHash('sha256').update(a.content).digest('hex'));
  assert.match(a.sha256, /^[0-9a-f]{64}$/);
  assert.is(a.inline, false);
  assert.is(a.cid, '');
  assert.is(m.date, Date.UTC(2024, 4, 15, 12, 0, 0));
});

test('inline-cid-image.eml: inline PNG with its cid, HTML keeps the cid: reference', async () => {
  const m = await parseMessage(fixture('inline-cid-image.eml'));
  assert.is(m.attachments.length, 1);
  const png = m.attachments[0]!;
  assert.is(png.cid, 'logo@x');
  assert.is(png.inline, true);
  assert.is(png.contentType, 'image/png');
  assert.ok(png.content.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])));
  assert.match(m.html, /src="cid:logo@x"/, 'not inlined as a data: URL (bad-input 46)');
  assert.not.match(m.html, /data:image/);
});

test('latin1-charset.eml: ISO-8859-1 quoted-printable body and header words', async () => {
  const m = await parseMessage(fixture('latin1-charset.eml'));
  assert.is(m.subject, 'Crème brûlée');
  assert.equal(m.from, [{ address: 'renee@exemple.fr', name: 'Renée Dupré' }]);
  assert.match(m.text, /La crème brûlée du café est naïve à souhait\. À bientôt, Renée\./);
  assert.not.match(m.text, /\uFFFD/);
});

test('encoded-word-subject.eml: B and Q words, adjacent words joined, non-Latin scripts', async () => {
  const m = await parseMessage(fixture('encoded-word-subject.eml'));
  assert.is(m.subject, 'Привет こんにちは and café plain');
  assert.equal(m.from, [{ address: 'ivan@example.ru', name: 'Иван Петров' }]);
  assert.equal(m.to, [{ address: 'taro@mailroom.test', name: '山田 太郎' }]);
  assert.equal(m.headers.find(([n]) => n === 'X-Original-Subject'), ['X-Original-Subject', 'Привет']);
  assert.match(m.text, /こんにちは/);
});

test('bad-input 38: malformed.eml (no blank line, missing closing boundary) parses best-effort', async () => {
  const raw = fixture('malformed.eml');
  const copy = Buffer.from(raw);
  const m = await parseMessage(raw);
  assert.ok(raw.equals(copy), 'the raw buffer is not modified');
  assert.is(m.subject, 'Malformed on purpose');
  assert.equal(m.from, [{ address: 'broken@legacy.example', name: 'Broken Mailer' }]);
  assert.is(m.date, null, 'unparseable Date header');
  assert.ok(m.attachments.some((a) => a.filename === 'corrupt.bin'));
});

test('bad-input 38: boundary string inside a body line does not split the part', async () => {
  const m = await parseMessage(crlf(`From: a@b.example\nSubject: b\nContent-Type: multipart/mixed; boundary="xx"\n\n--xx\nContent-Type: text/plain\n\nline with --xx-not-a-boundary inside\nand --xxx too\n--xx--\n`));
  assert.is(m.ok, true);
  assert.match(m.text, /--xx-not-a-boundary inside/);
  assert.match(m.text, /--xxx too/);
});

test('bad-input 39: corrupt base64 and a QP soft break at end of file decode without throwing', async () => {
  const m = await parseMessage(fixture('malformed.eml'));
  const bin = m.attachments.find((a) => a.filename === 'corrupt.bin')!;
  assert.ok(bin.content.subarray(0, 12).equals(Buffer.from('Hello, world')), 'the valid prefix is decoded');
  assert.match(m.text, /no closing boundary/);
  const qp = await parseMessage(crlf('From: a@b.example\nSubject: qp\nContent-Transfer-Encoding: quoted-printable\n\nsoft break at the end=\n=').subarray(0, -2));
  assert.is(qp.ok, true);
  assert.match(qp.text, /soft break at the end/);
});

test('bad-input 34: 5 000-deep nested multipart is flagged, subject still extracted', async () => {
  let raw = 'From: Deep <deep@x.example>\r\nSubject: deep\r\n';
  for (let i = 0; i < 5000; i++) raw += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`;
  raw += 'Content-Type: text/plain\r\n\r\nhi\r\n';
  const m = await parseMessage(Buffer.from(raw));
  assert.is(m.ok, false);
  assert.ok(m.error.length > 0 && m.error.length < 40, 'short generic error');
  assert.is(m.subject, 'deep');
  assert.equal(m.from, [{ address: 'deep@x.example', name: 'Deep' }]);
  assert.equal(m.attachments, []);
});

test('bad-input 35: 5 000 flat parts is flagged', async () => {
  let raw = 'From: a@b.example\r\nSubject: flat\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n';
  for (let i = 0; i < 5000; i++) raw += `--x\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`;
  raw += '--x--\r\n';
  const m = await parseMessage(Buffer.from(raw));
  assert.is(m.ok, false);
  assert.is(m.subject, 'flat');
  assert.is(m.text, '');
});

test('bad-input 35: a part count under the limit parses normally, and the limit is configurable', async () => {
  let raw = 'From: a@b.example\r\nSubject: some\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n';
  for (let i = 0; i < 20; i++) raw += `--x\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`;
  raw += '--x--\r\n';
  assert.is((await parseMessage(Buffer.from(raw))).ok, true);
  assert.is((await parseMessage(Buffer.from(raw), { maxParts: 5 })).ok, false);
});

test('bad-input 36: header block over 1 MiB or over 20 000 lines is flagged, not thrown', async () => {
  const big = 'From: a@b.example\r\nSubject: big\r\n' + `X-Pad: ${'a'.repeat(60)}\r\n`.repeat(20000) + '\r\nbody\r\n';
  let m = await parseMessage(Buffer.from(big));
  assert.is(m.ok, false);
  assert.is(m.subject, 'big');
  assert.ok(m.headers.length <= 20000);
  const many = 'From: a@b.example\r\nSubject: many\r\n' + 'X:\r\n'.repeat(30000) + '\r\nbody\r\n';
  m = await parseMessage(Buffer.from(many));
  assert.is(m.ok, false);
  assert.is(m.subject, 'many');
});

test('bad-input 37: headers named __proto__, constructor, hasOwnProperty: verbatim, no pollution', async () => {
  const raw = crlf('From: a@b.example\n__proto__: {"polluted": 1}\nconstructor: prototype\nhasOwnProperty: nope\nSubject: proto\n\nbody\n');
  const m = await parseMessage(raw);
  assert.is(m.ok, true);
  assert.is(m.subject, 'proto');
  assert.equal(m.headers.slice(1, 4), [['__proto__', '{"polluted": 1}'], ['constructor', 'prototype'], ['hasOwnProperty', 'nope']]);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.is(typeof Object.prototype.hasOwnProperty, 'function');
  assert.ok(Object.hasOwn(m, 'headers'));
});

test('bad-input 40: unknown charset and UTF-7 HTML never become markup', async () => {
  const unknown = await parseMessage(crlf('From: a@b.example\nSubject: =?x-klingon?q?caf=C3=A9_=FF?=\nContent-Type: text/plain; charset=x-klingon\nContent-Transfer-Encoding: 8bit\n\ncaf\u00e9\n'));
  assert.is(unknown.ok, true);
  assert.match(unknown.subject, /^café /, 'unknown charset decoded as UTF-8');
  assert.match(unknown.subject, /\uFFFD$/, 'invalid bytes become U+FFFD');
  const utf7 = await parseMessage(crlf('From: a@b.example\nSubject: =?utf-7?q?+ADw-script+AD4-?=\nContent-Type: text/html; charset=utf-7\n\n+ADw-script+AD4-alert(1)+ADw-/script+AD4-\n'));
  assert.is(utf7.ok, true);
  assert.not.match(utf7.html, /<script/i);
  assert.not.match(utf7.subject, /</);
  assert.is(utf7.subject, '+ADw-script+AD4-');
});

test('bad-input 41: encoded-word <script> subject decodes to plain text (escaping is the view\'s job)', async () => {
  const m = await parseMessage(fixture('hostile.eml'));
  assert.is(m.subject, '<script>alert(1)</script> urgent');
  assert.equal(m.from, [{ address: 'evil@attacker.example', name: 'support@bank.example' }], 'bad-input 42: the real address is kept apart from the name');
});

test('bad-input 43: attachment name ../../etc/passwd is kept verbatim (made safe at download)', async () => {
  const m = await parseMessage(fixture('hostile.eml'));
  assert.is(m.attachments[0]!.filename, '../../etc/passwd');
  const unnamed = await parseMessage(crlf('From: a@b.example\nSubject: x\nContent-Type: multipart/mixed; boundary="q"\n\n--q\nContent-Type: application/octet-stream\nContent-Disposition: attachment\n\nxyz\n--q--\n'));
  assert.is(unnamed.attachments[0]!.filename, '');
});

test('bad-input 44: Content-ID <../../routes.js> is only stripped of its angle brackets', async () => {
  const m = await parseMessage(crlf('From: a@b.example\nSubject: cid\nContent-Type: multipart/related; boundary="r"\n\n--r\nContent-Type: text/html\n\n<img src="cid:../../routes.js">\n--r\nContent-Type: image/GIF\nContent-ID: <../../routes.js>\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n--r--\n'));
  assert.is(m.attachments.length, 1);
  assert.is(m.attachments[0]!.cid, '../../routes.js');
  assert.is(m.attachments[0]!.contentType, 'image/gif', 'content type lowercased');
  assert.is(m.attachments[0]!.inline, true, 'a related cid part with no disposition is inline');
});

test('bad-input 47: message/rfc822 attachment stays an attachment with its bytes', async () => {
  const inner = 'From: inner@x.example\r\nSubject: inner\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>\r\n';
  const raw = crlf('From: a@b.example\nSubject: outer\nContent-Type: multipart/mixed; boundary="o"\n\n--o\nContent-Type: text/plain\n\nsee attached\n--o\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n');
  const full = Buffer.concat([raw, Buffer.from(inner + '--o--\r\n')]);
  const m = await parseMessage(full);
  assert.is(m.ok, true);
  assert.is(m.subject, 'outer');
  assert.match(m.text, /see attached/);
  assert.not.match(m.html + m.text, /<script>/, 'the embedded message body is not merged into ours');
  assert.is(m.attachments.length, 1);
  assert.is(m.attachments[0]!.contentType, 'message/rfc822');
  assert.match(m.attachments[0]!.content.toString(), /Subject: inner/);
});

test('bad-input 48: two Subject and two From headers: the first wins, both are listed', async () => {
  const m = await parseMessage(crlf('From: First <first@x.example>\nFrom: Second <second@x.example>\nSubject: one\nSubject: two\n\nbody\n'));
  assert.is(m.subject, 'one');
  assert.equal(m.from, [{ address: 'first@x.example', name: 'First' }]);
  assert.equal(m.headers.filter(([n]) => n === 'Subject').map(([, v]) => v), ['one', 'two']);
});

test('bad-input 49: missing or absurd Date is null', async () => {
  for (const d of ['Mon, 1 Jan 10000 00:00:00 +0000', 'Tue, 1 Jul 2003 10:52:37 -9999', 'yesterday', '', 'Thu, 1 Jan 1901 00:00:00 +0000']) {
    const m = await parseMessage(crlf(`From: a@b.example\nSubject: d\n${d ? `Date: ${d}\n` : ''}\nbody\n`));
    assert.is(m.ok, true);
    assert.is(m.date, null, d);
  }
  assert.is(parseDate('Tue, 1 Jul 2003 10:52:37 +0200 (CEST)'), Date.UTC(2003, 6, 1, 8, 52, 37));
});

test('bad-input 50: a 10 MB single-line body parses and its links scan stays bounded', async () => {
  const raw = Buffer.concat([crlf('From: a@b.example\nSubject: long\nContent-Type: text/html\n\n'), Buffer.from('<a href="https://x.example/">' + 'a'.repeat(10 * 1024 * 1024) + '\r\n')]);
  const m = await parseMessage(raw);
  assert.is(m.ok, true);
  assert.equal(m.links, ['https://x.example/']);
  assert.ok(m.html.length > 10 * 1024 * 1024);
});

test('bad-input 50: `<a <a <a ...` does not make the link scan quadratic', async () => {
  const raw = Buffer.concat([crlf('From: a@b.example\nSubject: a\nContent-Type: text/html\n\n'), Buffer.from('<a '.repeat(300_000) + '<a href="https://late.example/">x</a>')]);
  const m = await parseMessage(raw);
  assert.is(m.ok, true);
  assert.equal(m.links, [], 'the unclosed first tag swallows the rest, as in a browser');
  const closed = await parseMessage(Buffer.concat([crlf('From: a@b.example\nSubject: a\nContent-Type: text/html\n\n'), Buffer.from('<a>'.repeat(100_000) + '<A HREF="https://late.example/">x</a>')]));
  assert.equal(closed.links, ['https://late.example/']);
});

test('links: http(s) only, entities decoded, deduplicated across HTML and text, bounded', async () => {
  const raw = crlf(`From: a@b.example\nSubject: l\nContent-Type: multipart/alternative; boundary="a"\n\n--a\nContent-Type: text/plain\n\nSee https://one.example/x, and (https://two.example/y).\nhttps://one.example/x again; ftp://no.example/\n--a\nContent-Type: text/html\n\n<a href="javascript:alert(1)">j</a><a href='https://one.example/x'>1</a><a\nhref=https://three.example/?a=1&amp;b=2>3</a><a href="mailto:x@y">m</a>\n--a--\n`);
  const m = await parseMessage(raw);
  assert.equal(m.links, ['https://one.example/x', 'https://three.example/?a=1&b=2', 'https://two.example/y']);
  const many = crlf('From: a@b.example\nSubject: many\n\n' + Array.from({ length: 50 }, (_, i) => `https://h${i}.example/`).join('\n') + '\n');
  assert.is((await parseMessage(many, { maxLinks: 10 })).links.length, 10);
});

test('never throws: empty input, garbage bytes, a header-only message', async () => {
  for (const raw of [Buffer.alloc(0), Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13]), Buffer.from('Subject: only headers')]) {
    const m = await parseMessage(raw);
    assert.type(m.ok, 'boolean');
    assert.ok(Array.isArray(m.headers));
    assert.ok(Array.isArray(m.attachments));
  }
  const h = await parseMessage(Buffer.from('Subject: only headers'));
  assert.is(h.subject, 'only headers');
});

test('8-bit header bytes: UTF-8 per RFC 6532, otherwise Windows-1252', async () => {
  const raw = Buffer.concat([Buffer.from('From: a@b.example\r\nSubject: caf'), Buffer.from('é', 'utf8'), Buffer.from('\r\nX-Legacy: caf'), Buffer.from([0xe9]), Buffer.from('\r\n\r\nbody\r\n')]);
  const m = await parseMessage(raw);
  assert.is(m.subject, 'café');
  assert.equal(m.headers.find(([n]) => n === 'X-Legacy'), ['X-Legacy', 'café']);
});

test('decodeWords: RFC 2047 details', () => {
  assert.is(decodeWords('=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?='), 'éé', 'whitespace between adjacent words dropped (§6.2)');
  assert.is(decodeWords('=?utf-8?B?4pyU?= x =?utf-8?Q?a_b?='), '✔ x a b');
  assert.is(decodeWords('=?utf-8?b?4pw=?= =?utf-8?b?lA==?='), '✔', 'a character split across words');
  assert.is(decodeWords('=?iso-8859-1*fr?q?caf=E9?='), 'café', 'RFC 2231 language suffix');
  assert.is(decodeWords('no words here'), 'no words here');
});

test('performance sanity: a 5 KB text+HTML message parses (no timing assertion, just completes)', async () => {
  const base = fixture('multipart-alternative.eml').toString('latin1');
  const filler = 'Lorem ipsum dolor sit amet. '.repeat(70);
  const raw = Buffer.from(base.replace('<p>Hi Alice,</p>', `<p>${filler}</p>`).replace('Thanks,\r\nExample', `${filler}\r\nThanks,\r\nExample`), 'latin1');
  const m = await parseMessage(raw);
  assert.is(m.ok, true);
  assert.ok(raw.length > 4000);
});

test.run();
