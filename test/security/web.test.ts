// Catalogue lines at the web/API level (bad-inputs 42, 45, 46, 57, 58, 60-63,
// 65, 66) and the web abuse controls of issue 6: login and key failures limited
// per address and per account, body limits, CSRF on every state change,
// constant-time comparisons, sessions that expire and can be revoked. One real
// Mailroom; mail arrives over SMTP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { ADMIN_KEY, makeUser, startApiMailroom, type TestMailroom } from '../api/_helpers.js';
import { simpleMessage } from '../helpers/raw-smtp.js';
import { Visitor, deliver, mime, rawGet } from './web-client.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log.js';
import { secretEquals } from '../../src/http/middleware/principal.js';
import { canonicalAddress } from '../../src/policy/address.js';
import { limiterFor, loginThrottleFor } from '../../src/http/middleware/rate-limit.js';
import { sqlValue, withDatabaseFile } from '../helpers/database-file.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let m: TestMailroom;
let alice: { id: number; key: string };
let mallory: { id: number; key: string };
const PRIVATE = 'alice.private@mailroom.test';
const PUBLIC = 'pub@mailroom.test';

const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>';

function resetLimits(): void {
  limiterFor(m.store).reset();
  loginThrottleFor(m.store).reset();
}

async function latest(inbox: string) {
  await m.parseQueue.idle();
  const list = m.store.messages.list(inbox);
  assert.ok(list.length > 0, `a message in ${inbox}`);
  return list[0]!;
}

test.before(async () => {
  // Room for the 30 MB inline image of bad-input 46.
  m = await startApiMailroom({ auth: { adminKey: ADMIN_KEY, registration: false }, smtp: { maxMessageSize: 48 * 1024 * 1024 } } as never);
  alice = await makeUser(m.store, 'alice');
  mallory = await makeUser(m.store, 'mallory');
  await m.store.users.setPassword(alice.id, 'alice-password-1');
  await m.store.users.setPassword(mallory.id, 'mallory-password-1');
  m.store.addresses.reserve(PRIVATE, alice.id);
});

test.after(async () => {
  await m?.cleanup();
});

// ---------------------------------------------------------------- 42, 57, 58

test('bad-input 42: a display name that looks like an address is shown next to the real address', async () => {
  const fake = Buffer.from('"support@bank.example" <support@bank.example>').toString('base64');
  for (const from of ['"support@bank.example" <evil@attacker.example>', `=?utf-8?b?${fake}?= <evil@attacker.example>`]) {
    assert.is(await deliver(m.smtpAddress.port, 'spoof@mailroom.test', simpleMessage({ to: 'spoof@mailroom.test', from, subject: 'Your account' })), 250);
  }
  await m.parseQueue.idle();
  const list = await (await fetch(`${m.http}/inbox/spoof@mailroom.test`)).text();
  assert.ok((list.match(/evil@attacker\.example/g)?.length ?? 0) >= 2, 'the real address in every row');
  for (const msg of m.store.messages.list('spoof@mailroom.test')) {
    const page = await (await fetch(`${m.http}/inbox/spoof@mailroom.test/${msg.id}`)).text();
    assert.match(page, /evil@attacker\.example/, 'message page names the real address');
    const json = (await (await fetch(`${m.http}/api/addresses/spoof@mailroom.test/messages/${msg.id}`)).json()) as { from: Array<{ address: string; name: string }> };
    assert.is(json.from[0]!.address, 'evil@attacker.example');
    assert.match(json.from[0]!.name, /support@bank\.example/, 'the name stays the name');
  }
});

test('bad-input 57: a link whose text names another host shows its real host; rel=noopener noreferrer; no Referer', async () => {
  const html = '<p><a href="https://evil.example/login">https://bank.example/login</a> <a href="https://xn--pypal-4ve.com/">https://paypal.com</a></p>';
  assert.is(await deliver(m.smtpAddress.port, 'links@mailroom.test', mime({ headers: ['From: a@b.example', 'To: links@mailroom.test', 'Subject: links'], html })), 250);
  const msg = await latest('links@mailroom.test');
  const page = await fetch(`${m.http}/inbox/links@mailroom.test/${msg.id}`);
  assert.is(page.headers.get('referrer-policy'), 'no-referrer');
  const pageText = await page.text();
  assert.match(pageText, /evil\.example/, 'the real host is listed on the page');
  assert.match(pageText, /xn--pypal-4ve\.com/, 'the homoglyph host is shown as punycode');
  const frame = await fetch(`${m.http}/inbox/links@mailroom.test/${msg.id}/html`);
  assert.is(frame.headers.get('referrer-policy'), 'no-referrer');
  const body = await frame.text();
  assert.match(body, /<meta name="referrer" content="no-referrer">/);
  const anchors = body.match(/<a\b[^>]*>/g) ?? [];
  assert.ok(anchors.length >= 2);
  for (const a of anchors) {
    assert.match(a, /rel="noopener noreferrer"/, a);
    assert.not.match(a, /target="_(top|parent|self)"/, a);
  }
  assert.match(body, /evil\.example/, 'the real host is shown in the body too');
});

test('bad-input 58: HTML in Subject, From, filename and label is escaped in the list, title, pages and JSON', async () => {
  const raw = mime({
    headers: [`From: "${HOSTILE.replace(/"/g, '')}" <x@attacker.example>`, 'To: esc@mailroom.test', `Subject: ${HOSTILE}`],
    text: 'body',
    attachments: [{ name: '<svg onload=alert(3)>.txt', type: 'text/plain', body: 'x' }],
  });
  assert.is(await deliver(m.smtpAddress.port, PRIVATE, raw), 250);
  const msg = await latest(PRIVATE);
  m.store.messages.setLabels(msg.id, ['<b onmouseover=alert(4)>label</b>']);
  const owner = await new Visitor(m.http).signIn('alice', 'alice-password-1');
  const pages = [
    `/inbox/${PRIVATE}`,
    `/inbox/${PRIVATE}/${msg.id}`,
    `/inbox/${PRIVATE}/${msg.id}/headers`,
    `/inbox/${PRIVATE}/${msg.id}?view=text`,
    '/account/mail',
    `/search?q=${encodeURIComponent('alert')}&inbox=${encodeURIComponent(PRIVATE)}`,
  ];
  for (const p of pages) {
    const r = await owner.req('GET', p);
    assert.is(r.status, 200, p);
    for (const bad of ['<img src=x', '<script>alert', '<svg onload', '<b onmouseover']) assert.not.ok(r.text.includes(bad), `${p} contains raw ${bad}`);
    const title = /<title>([\s\S]*?)<\/title>/.exec(r.text)?.[1] ?? '';
    assert.not.match(title, /</, `${p}: <title> holds no markup`);
  }
  const list = await owner.req('GET', `/inbox/${PRIVATE}`);
  assert.match(list.text, /&lt;img src=x onerror=alert\(1\)&gt;/, 'the subject is shown, as text');
  const mail = await owner.req('GET', '/account/mail');
  assert.match(mail.text, /&lt;b onmouseover=alert\(4\)&gt;label&lt;\/b&gt;/, 'the label is shown, as text');
  // JSON: the text is data, correctly typed and never sniffed as HTML.
  for (const p of [`/api/addresses/${PRIVATE}/messages`, `/api/addresses/${PRIVATE}/messages/${msg.id}`]) {
    const res = await fetch(m.http + p, { headers: { 'Mailsac-Key': alice.key } });
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.is(res.headers.get('x-content-type-options'), 'nosniff');
    const text = await res.text();
    const j = JSON.parse(text);
    const one = Array.isArray(j) ? j[0] : j;
    assert.is(one.subject, HOSTILE, 'subject round-trips as data');
    assert.ok(one.attachments?.length === undefined || one.attachments.length >= 0);
  }
});

// ---------------------------------------------------------------- 45, 46

test('bad-input 45: attachments declared html, svg, xml or lying about their type download, never render', async () => {
  const evil = '<html><script>alert(1)</script></html>';
  const raw = mime({
    headers: ['From: a@b.example', 'To: att@mailroom.test', 'Subject: attachments'],
    html: '<p>see attached</p>',
    attachments: [
      { name: 'page.html', type: 'text/html', body: evil },
      { name: 'pic.svg', type: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>' },
      { name: 'data.xml', type: 'application/xml', body: '<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>' },
      { name: 'photo.png', type: 'image/png', body: evil },
      { name: 'notes.txt', type: 'text/plain', body: evil },
      { name: 'inline.svg', type: 'image/svg+xml', body: '<svg onload="alert(1)"/>', cid: 'svg@x', inline: true },
    ],
  });
  assert.is(await deliver(m.smtpAddress.port, 'att@mailroom.test', raw), 250);
  const msg = await latest('att@mailroom.test');
  assert.is(msg.attachments.length, 6);
  const renderable = /html|xml|svg|javascript/i;
  let compared = 0;
  for (const a of msg.attachments) {
    const seen: string[] = [];
    for (const url of [
      `${m.http}/inbox/att@mailroom.test/${msg.id}/attachments/${a.idx}`,
      `${m.http}/api/addresses/att@mailroom.test/messages/${msg.id}/attachments/${a.md5}`,
    ]) {
      const res = await fetch(url);
      assert.is(res.status, 200, url);
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment;/, `${a.filename}: attachment disposition`);
      assert.is(res.headers.get('x-content-type-options'), 'nosniff');
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /sandbox/);
      assert.match(csp, /default-src 'none'/);
      assert.not.match(res.headers.get('content-type') ?? '', renderable, `${a.filename} served as ${res.headers.get('content-type')}`);
      seen.push(['content-type', 'content-security-policy', 'x-content-type-options'].map((n) => res.headers.get(n)).join(' | '));
      await res.arrayBuffer();
    }
    // One serving rule (policy/serving.ts): the page and the API answer alike
    // (the API finds a part by md5, so parts with the same bytes are one to it).
    if (msg.attachments.filter((x) => x.md5 === a.md5).length === 1) {
      assert.is(seen[0], seen[1], `${a.filename}: same type, CSP and nosniff from the UI and the API`);
      compared++;
    }
  }
  assert.is(compared, 3, 'page.html, photo.png and notes.txt share their bytes; the other three are compared');
  // Through the cid route too: an SVG part is served as opaque bytes, never as an image document.
  const cid = await fetch(`${m.http}/inbox/att@mailroom.test/${msg.id}/cid/svg@x`);
  assert.is(cid.status, 200);
  assert.not.match(cid.headers.get('content-type') ?? '', renderable);
  assert.match(cid.headers.get('content-security-policy') ?? '', /sandbox/);
  // The message page never embeds an attachment as a document.
  const page = await (await fetch(`${m.http}/inbox/att@mailroom.test/${msg.id}`)).text();
  assert.not.match(page, /<(object|embed)\b/);
  assert.not.match(page, /<iframe[^>]+attachments\//);
});

test('bad-input 46: a 30 MB inline cid image is not inlined as data:, and is served through the cid route', async () => {
  const png = Buffer.alloc(30 * 1024 * 1024, 7);
  Buffer.from('89504e470d0a1a0a', 'hex').copy(png);
  const raw = mime({
    headers: ['From: a@b.example', 'To: big@mailroom.test', 'Subject: big image'],
    html: '<p>look</p><img src="cid:big@x" alt="big">',
    attachments: [{ name: 'big.png', type: 'image/png', body: png, cid: 'big@x', inline: true }],
  });
  assert.is(await deliver(m.smtpAddress.port, 'big@mailroom.test', raw), 250);
  const msg = await latest('big@mailroom.test');
  assert.is(msg.parseState, 'ok');
  const html = await fetch(`${m.http}/inbox/big@mailroom.test/${msg.id}/html`);
  const body = await html.text();
  assert.ok(body.length < 64 * 1024, `the body document stays small (${body.length})`);
  assert.not.match(body, /data:image/);
  assert.match(body, new RegExp(`/inbox/big@mailroom\\.test/${msg.id}/cid/big@x`));
  const img = await fetch(`${m.http}/inbox/big@mailroom.test/${msg.id}/cid/big@x`);
  assert.is(img.status, 200);
  assert.is(img.headers.get('content-type'), 'image/png');
  assert.is((await img.arrayBuffer()).byteLength, png.length);
  // The API's "dirty" body inlines only small parts.
  const dirty = await (await fetch(`${m.http}/api/dirty/big@mailroom.test/${msg.id}`)).text();
  assert.ok(dirty.length < 64 * 1024, `dirty body capped (${dirty.length})`);
  assert.match(dirty, /cid:big@x/);
});

// ---------------------------------------------------------------- 60

test('bad-input 60: ids that are paths, encoded paths, absolute paths or another inbox\'s id are 404 on every route', async () => {
  assert.is(await deliver(m.smtpAddress.port, 'a60@mailroom.test', mime({ headers: ['From: a@b.example', 'To: a60@mailroom.test', 'Subject: a'], text: 'x', attachments: [{ name: 'f.txt', type: 'text/plain', body: 'x' }] })), 250);
  assert.is(await deliver(m.smtpAddress.port, 'b60@mailroom.test', simpleMessage({ to: 'b60@mailroom.test', subject: 'b' })), 250);
  const mine = await latest('a60@mailroom.test');
  const other = await latest('b60@mailroom.test');
  const badIds = ['..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%2e%2e', '%2Fetc%2Fpasswd', '..%5C..%5Cwindows', '%00', other.id, `${other.id}%00`, 'x'.repeat(200)];
  const uiSuffixes = ['', '/html', '/headers', '/raw', '/raw?download=1', '/attachments/0', '/cid/x'];
  for (const id of badIds) {
    for (const s of uiSuffixes) {
      const r = await rawGet(m.http, `/inbox/a60@mailroom.test/${id}${s}`);
      assert.is(r.status, 404, `UI ${id}${s}: ${r.status}`);
    }
    const del = await rawGet(m.http, `/inbox/a60@mailroom.test/${id}/delete`, 'POST', { origin: m.http });
    assert.ok(del.status === 404 || del.status === 403, `delete ${id}: ${del.status}`);
    for (const p of [
      `/api/addresses/a60@mailroom.test/messages/${id}`,
      `/api/addresses/a60@mailroom.test/messages/${id}/headers`,
      `/api/addresses/a60@mailroom.test/messages/${id}/attachments`,
      `/api/addresses/a60@mailroom.test/messages/${id}/attachments/x`,
      `/api/raw/a60@mailroom.test/${id}`,
      `/api/text/a60@mailroom.test/${id}`,
      `/api/body/a60@mailroom.test/${id}`,
      `/api/dirty/a60@mailroom.test/${id}`,
    ]) {
      const r = await rawGet(m.http, p, 'GET', { 'Mailsac-Key': ADMIN_KEY });
      assert.is(r.status, 404, `API ${p}: ${r.status}`);
    }
    for (const [method, p] of [
      ['DELETE', `/api/addresses/a60@mailroom.test/messages/${id}`],
      ['PUT', `/api/addresses/a60@mailroom.test/messages/${id}/star`],
    ] as const) {
      const r = await rawGet(m.http, p, method, { 'Mailsac-Key': ADMIN_KEY });
      assert.is(r.status, 404, `API ${method} ${p}: ${r.status}`);
    }
  }
  // Attachment numbers and identifiers that are paths.
  for (const idx of ['..%2F0', '%2e%2e', '-1', '99', '%2Fetc%2Fpasswd', '0%00', '1e3']) {
    assert.is((await rawGet(m.http, `/inbox/a60@mailroom.test/${mine.id}/attachments/${idx}`)).status, 404, `attachment ${idx}`);
  }
  for (const ident of ['..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', '..']) {
    const r = await rawGet(m.http, `/api/addresses/a60@mailroom.test/messages/${mine.id}/attachments/${ident}`, 'GET', { 'Mailsac-Key': ADMIN_KEY });
    assert.is(r.status, 404, `api attachment ${ident}: ${r.status}`);
  }
  assert.ok(m.store.messages.get(other.id), 'the other inbox\'s message is untouched');
  assert.ok(m.store.messages.get(mine.id));
});

// ---------------------------------------------------------------- 61, 62

test('bad-input 61: a private inbox answers no key, a wrong key and another account\'s key the same way; keys never sit in UI URLs', async () => {
  resetLimits();
  const msg = await latest(PRIVATE);
  const callers: Array<[string, Record<string, string>]> = [
    ['no key', {}],
    ['wrong key', { 'Mailsac-Key': 'mr_' + 'A'.repeat(43) }],
    ['another account', { 'Mailsac-Key': mallory.key }],
  ];
  for (const p of [`/api/addresses/${PRIVATE}/messages`, `/api/addresses/${PRIVATE}/messages/${msg.id}`, `/api/raw/${PRIVATE}/${msg.id}`, `/api/addresses/${PRIVATE}/message-count`]) {
    const answers = new Set<string>();
    for (const [, h] of callers) {
      const r = await fetch(m.http + p, { headers: h });
      answers.add(`${r.status} ${await r.text()}`);
    }
    assert.is(answers.size, 1, `${p}: one answer, got ${[...answers].join(' | ')}`);
    assert.match([...answers][0]!, /^403 /);
  }
  // The pages: the same refusal for nobody, a wrong key, and another signed-in user.
  const mal = await new Visitor(m.http).signIn('mallory', 'mallory-password-1');
  for (const p of [`/inbox/${PRIVATE}`, `/inbox/${PRIVATE}/${msg.id}`, `/inbox/${PRIVATE}/${msg.id}/raw`]) {
    const statuses = new Set<number>();
    for (const [, h] of callers.slice(0, 2)) statuses.add((await fetch(m.http + p, { headers: h, redirect: 'manual' })).status);
    statuses.add((await mal.req('GET', p)).status);
    assert.equal([...statuses], [403], p);
  }
  // Constant-time comparison: secrets of any length compare without throwing or short-cutting on length.
  assert.is(secretEquals('a', 'a'.repeat(1000)), false);
  assert.is(secretEquals(ADMIN_KEY, ADMIN_KEY), true);
  assert.is(secretEquals('', ADMIN_KEY), false);
  // No secret is compared with === anywhere in src/http (keys, tokens, passwords, the admin key).
  const offenders: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.tsx?$/.test(n)) {
        readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (/(adminKey|apiKey|token|secret|password|csrf)\w*\s*[!=]==|[!=]==\s*\w*(adminKey|apiKey|token|secret|password)\b/i.test(line) && !/typeof|undefined|null|''|\.length/.test(line)) {
              offenders.push(`${path.relative(ROOT, p)}:${i + 1}: ${line.trim()}`);
            }
          });
      }
    }
  };
  walk(path.join(ROOT, 'src/http'));
  assert.equal(offenders, [], 'secrets compared with ===');
  // Keys are never needed in a URL the UI builds: crawl the owner's pages, after creating a key.
  const owner = await new Visitor(m.http).signIn('alice', 'alice-password-1');
  const created = await owner.req('POST', '/account/keys', { csrf: await owner.token('/account'), name: 'crawl' });
  const shownKey = /mr_[A-Za-z0-9_-]{20,}/.exec(created.text)?.[0];
  assert.ok(shownKey, 'the new key is shown once');
  for (const p of ['/account', `/inbox/${PRIVATE}`, `/inbox/${PRIVATE}/${msg.id}`, '/account/mail', '/search']) {
    const r = p === '/account' ? created : await owner.req('GET', p);
    const urls = [...r.text.matchAll(/(?:href|src|action)="([^"]*)"/g)].map((x) => x[1]!);
    for (const u of urls) {
      assert.not.match(u, /_mailsacKey|mr_[A-Za-z0-9_-]{20,}/, `${p}: a key in ${u}`);
    }
  }
  // The API still accepts _mailsacKey for compatibility.
  assert.is((await fetch(`${m.http}/api/addresses/${PRIVATE}/messages?_mailsacKey=${alice.key}`)).status, 200);
});

test('bad-input 62: case, Unicode normalization, %2F, trailing dot and IDN spellings are one inbox; no alias reaches a private one', async () => {
  const nfcOwned = 'jos\u00e9@mailroom.test';
  m.store.addresses.reserve(nfcOwned, alice.id);
  assert.is(await deliver(m.smtpAddress.port, 'jose\u0301@mailroom.test', simpleMessage({ to: 'x', subject: 'secret-nfd' })), 250);
  await m.parseQueue.idle();
  assert.is(m.store.messages.count(nfcOwned), 1, 'NFD mail landed in the NFC private inbox');
  const spellings = [
    'ALICE.PRIVATE@mailroom.test',
    'Alice.Private+tag@MAILROOM.TEST',
    'alice.private@mailroom.test.',
    'alice.private@MailRoom.Test.',
    'alice.private%2F@mailroom.test',
    'alice.private@mailroom.test%2F',
    '%2Falice.private@mailroom.test',
    'jose\u0301@mailroom.test',
    'JOS\u00c9@mailroom.test',
    'jos\u00e9@xn--mailroom-.test',
  ];
  const mal = await new Visitor(m.http).signIn('mallory', 'mallory-password-1');
  for (const s of spellings) {
    const enc = s.includes('%') ? s : encodeURIComponent(s).replace(/%40/g, '@');
    // `/` is atext (RFC 5322 3.2.3): `alice.private/@…` is another, public inbox, which
    // must show nothing of the private one; every spelling of the private one must refuse.
    const canon = canonicalAddress(decodeURIComponent(enc));
    const isPrivate = canon !== null && (canon.inbox === PRIVATE || canon.inbox === nfcOwned);
    // Follow the UI's canonical redirects by hand; the end is never a page with mail.
    let p = `/inbox/${enc}`;
    for (let hop = 0; hop < 3; hop++) {
      for (const who of [null, mal]) {
        const r = who ? await who.req('GET', p) : await (async () => {
          const res = await fetch(m.http + p, { redirect: 'manual' });
          return { status: res.status, text: await res.text(), headers: res.headers };
        })();
        if (isPrivate) assert.not.ok(r.status === 200, `${s} → ${p} answered 200 to ${who ? 'mallory' : 'nobody'}`);
        assert.not.match(r.text, /secret-nfd|esc@mailroom/);
      }
      const res = await fetch(m.http + p, { redirect: 'manual' });
      if (res.status !== 301) break;
      p = res.headers.get('location')!;
    }
    for (const h of [{}, { 'Mailsac-Key': mallory.key }] as Array<Record<string, string>>) {
      const r = await fetch(`${m.http}/api/addresses/${enc}/messages`, { headers: h });
      if (isPrivate || r.status !== 200) assert.ok(r.status === 403 || r.status === 400 || r.status === 404, `API ${s}: ${r.status}`);
      else assert.equal(await r.json(), [], `API ${s}: another, empty inbox`);
    }
  }
  // The owner reaches the same one inbox from each Unicode spelling.
  for (const s of ['jose\u0301@mailroom.test', 'JOS\u00c9@mailroom.test', nfcOwned]) {
    const r = await fetch(`${m.http}/api/addresses/${encodeURIComponent(s)}/messages`, { headers: { 'Mailsac-Key': alice.key } });
    assert.is(r.status, 200, s);
    assert.is(((await r.json()) as unknown[]).length, 1, s);
  }
});

// ---------------------------------------------------------------- 63

test('bad-input 63: cross-site POSTs with the owner\'s cookie change nothing; GET never deletes; the API ignores cookies', async () => {
  resetLimits();
  assert.is(await deliver(m.smtpAddress.port, PRIVATE, simpleMessage({ to: PRIVATE, subject: 'csrf target' })), 250);
  const msg = await latest(PRIVATE);
  const owner = await new Visitor(m.http).signIn('alice', 'alice-password-1');
  const valid = await owner.token('/account');
  const snapshot = () =>
    JSON.stringify({
      messages: m.store.messages.stats(),
      keys: m.store.keys.listForUser(alice.id).map((k) => [k.id, k.revoked]),
      addresses: m.store.addresses.listForOwner(alice.id),
      msg: m.store.messages.get(msg.id),
      sessions: sqlValue(m.store, 'SELECT count(*) FROM sessions'),
      users: sqlValue(m.store, 'SELECT count(*) FROM users'),
    });
  const before = snapshot();
  // Every state-changing route the app has, read from the router itself, so a new one cannot be forgotten.
  const app = createApp({ config: m.config, store: m.store, log: silentLogger(), health: () => ({}) as never });
  const routes = app.routes.filter((r) => ['POST', 'PUT', 'DELETE', 'PATCH'].includes(r.method) && !r.path.startsWith('/api'));
  assert.ok(routes.length >= 10, `found ${routes.length} UI state-changing routes`);
  const fill = (p: string) =>
    p
      .replace(':address', encodeURIComponent(PRIVATE).replace(/%40/g, '@'))
      .replace(':id{[0-9]+}', '1')
      .replace(':id', String(msg.id))
      .replace(/:action\{[^}]+\}/, 'star')
      .replace(/\/\*$/, '/x');
  const seen: string[] = [];
  for (const r of routes) {
    const p = fill(r.path);
    seen.push(`${r.method} ${p}`);
    const attempts: Array<[string, Record<string, string> | undefined, Record<string, string>]> = [
      ['no token, foreign Origin', { label: 'x', folder: 'trash', name: 'k', address: 'csrf@mailroom.test' }, { origin: 'https://evil.example' }],
      ['valid token, foreign Origin', { csrf: valid, label: 'x', folder: 'trash', name: 'k', address: 'csrf@mailroom.test' }, { origin: 'https://evil.example' }],
      ['no token, same site', { label: 'x', folder: 'trash', name: 'k', address: 'csrf@mailroom.test' }, {}],
      ['null Origin (sandboxed frame)', { csrf: valid, label: 'x' }, { origin: 'null' }],
    ];
    for (const [what, form, headers] of attempts) {
      const res = await owner.req(r.method, p, form, headers);
      assert.ok([403, 404, 405].includes(res.status), `${r.method} ${p} (${what}): ${res.status}`);
    }
  }
  assert.is(snapshot(), before, `no state changed by: ${seen.join(', ')}`);
  assert.ok(seen.some((s) => s.includes('/delete')) && seen.some((s) => s.includes('/logout')));

  // GET .../delete, as an <img src> in a mail would send it, with the cookie.
  const g = await owner.req('GET', `/inbox/${PRIVATE}/${msg.id}/delete`);
  assert.is(g.status, 405);
  assert.ok(m.store.messages.get(msg.id), 'GET did not delete');

  // The API never takes the session cookie as a credential.
  const api = routesOfApi(app).filter((r) => r.method !== 'GET');
  for (const r of api) {
    const p = r.path
      .replace(':email', PRIVATE)
      .replace(':messageId', msg.id)
      .replace(':label', 'x')
      .replace(':folder', 'trash')
      .replace(':readBoolean', 'true')
      .replace(':domain', 'mailroom.test')
      .replace(/:[A-Za-z]+/g, 'x');
    const res = await fetch(m.http + p, {
      method: r.method,
      headers: { cookie: owner.cookieHeader, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ addresses: ['csrf2@mailroom.test'] }),
    });
    // 401 (no key), or 403 where the inbox is private and the caller (anonymous: the cookie is ignored) is not its owner.
    assert.ok([401, 403, 404, 501].includes(res.status), `API ${r.method} ${p} with a cookie: ${res.status}`);
  }
  assert.is(snapshot(), before, 'the API changed nothing for a cookie');
});

function routesOfApi(app: ReturnType<typeof createApp>) {
  return app.routes.filter((r) => r.path.startsWith('/api/') && ['POST', 'PUT', 'DELETE', 'PATCH'].includes(r.method));
}

// ---------------------------------------------------------------- 65

test('bad-input 65: the server fetches nothing a message points to (no fetch code in src/, no request when viewed)', async () => {
  // Static: nothing in src/ can open an outbound connection, except the
  // webhook deliverer (issue 11), which goes only where an owner's webhook URL
  // resolves, after the checks of test/push/safe-target.test.ts, and the TXT
  // lookup that verifies an account's own domain (issue 12, a name the account
  // typed); neither ever goes to anything a message contains.
  const outbound = /\bfetch\s*\(|\bhttps?\.(request|get)\s*\(|\)\.request\s*\(|\bnet\.(connect|createConnection)\s*\(|\btls\.connect\s*\(|\bdgram\b|\bdns\.(lookup|resolve)|node:dns|\bundici\b|\bnode-fetch\b|\baxios\b|\bWebSocket\s*\(/;
  const webhookDeliverer = new Set(['src/push/deliver.ts', 'src/push/safe-target.ts', 'src/services/domains.ts']);
  const hits: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|tsx|js|mjs)$/.test(n)) {
        readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (!/^\s*(\/\/|\*)/.test(line) && outbound.test(line) && !webhookDeliverer.has(path.relative(ROOT, p))) hits.push(`${path.relative(ROOT, p)}:${i + 1}: ${line.trim()}`);
          });
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  assert.equal(hits, [], 'outbound network code in src/');
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies)) assert.not.match(dep, /^(axios|got|node-fetch|undici|request|superagent|ky)$/, dep);

  // Dynamic: a "tracker" on loopback (and the SSRF targets of the catalogue, by name) is never contacted.
  const hitsSeen: string[] = [];
  const tracker = http.createServer((req, res) => {
    hitsSeen.push(req.url ?? '');
    res.end('x');
  });
  await new Promise<void>((r) => tracker.listen(0, '127.0.0.1', () => r()));
  const port = (tracker.address() as AddressInfo).port;
  try {
    const targets = [`http://127.0.0.1:${port}/img`, `http://[::ffff:127.0.0.1]:${port}/v6`, `http://localhost:${port}/name`, 'http://169.254.169.254/latest/meta-data/', 'http://100.64.0.1/x', 'http://[fe80::1]/x', `http://127.0.0.1.nip.io:${port}/nip`];
    const html =
      targets.map((t) => `<img src="${t}"><a href="${t}">x</a><div style="background:url(${t})"></div>`).join('') +
      `<link rel="stylesheet" href="${targets[0]}"><style>@import url(${targets[0]});</style><video poster="${targets[0]}"></video>`;
    assert.is(await deliver(m.smtpAddress.port, 'ssrf@mailroom.test', mime({ headers: ['From: a@b.example', 'To: ssrf@mailroom.test', 'Subject: remote'], html })), 250);
    const msg = await latest('ssrf@mailroom.test');
    for (const p of [
      `/inbox/ssrf@mailroom.test/${msg.id}`,
      `/inbox/ssrf@mailroom.test/${msg.id}?remote=1`,
      `/inbox/ssrf@mailroom.test/${msg.id}/html`,
      `/inbox/ssrf@mailroom.test/${msg.id}/html?remote=1`,
      `/inbox/ssrf@mailroom.test/${msg.id}/headers`,
      `/inbox/ssrf@mailroom.test/${msg.id}/raw`,
      `/api/body/ssrf@mailroom.test/${msg.id}`,
      `/api/dirty/ssrf@mailroom.test/${msg.id}`,
      `/api/addresses/ssrf@mailroom.test/messages/${msg.id}`,
    ]) {
      assert.is((await fetch(m.http + p)).status, 200, p);
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(hitsSeen, [], 'the server made no request');
  } finally {
    await new Promise<void>((r) => tracker.close(() => r()));
  }
});

// ---------------------------------------------------------------- 66

/** Streams `total` bytes of `chunk` repeated (chunked encoding) and reports the status and the server's peak memory growth. */
function streamBody(p: string, total: number, headers: Record<string, string>, withLength: boolean, head = '', tail = ''): Promise<{ status: number; peak: number }> {
  const u = new URL(m.http);
  const base = process.memoryUsage();
  let peak = 0;
  const sample = setInterval(() => {
    const now = process.memoryUsage();
    peak = Math.max(peak, now.heapUsed + now.arrayBuffers - (base.heapUsed + base.arrayBuffers));
  }, 5);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method: 'POST',
      path: p,
      headers: { ...headers, ...(withLength ? { 'content-length': String(head.length + total + tail.length) } : { 'transfer-encoding': 'chunked' }) },
    });
    let done = false;
    const finish = (status: number) => {
      if (done) return;
      done = true;
      clearInterval(sample);
      req.destroy();
      resolve({ status, peak });
    };
    req.on('response', (res) => {
      res.resume();
      finish(res.statusCode ?? 0);
    });
    req.on('error', (e) => (done ? undefined : reject(e)));
    const piece = Buffer.alloc(64 * 1024, 0x31); // "1111…": digits, valid inside a JSON array of numbers
    let sent = 0;
    req.write(head);
    const pump = () => {
      while (!done && sent < total) {
        const n = Math.min(piece.length, total - sent);
        sent += n;
        if (!req.write(n === piece.length ? piece : piece.subarray(0, n))) return void req.once('drain', pump);
      }
      if (!done) req.end(tail);
    };
    pump();
  });
}

test('bad-input 66: a 50 MB JSON body or 10 M ids to the bulk endpoint get 413 with bounded memory; forms too', async () => {
  const MB50 = 50 * 1024 * 1024;
  const json = { 'content-type': 'application/json', 'mailsac-key': alice.key };
  // Declared length: refused before a byte is read.
  const a = await streamBody('/api/private-addresses-bulk', MB50, json, true, '{"addresses":[', ']}');
  assert.is(a.status, 413);
  // Chunked, no length: counted as it streams and cut off at the limit.
  const b = await streamBody('/api/private-addresses-bulk', MB50, json, false, '{"addresses":[', ']}');
  assert.is(b.status, 413);
  assert.ok(b.peak < 32 * 1024 * 1024, `server memory grew by ${(b.peak / 1048576).toFixed(1)} MB for a 50 MB body`);
  // 10 M ids ("1,1,1,…"): 20 MB of JSON, refused the same way.
  const ids = await streamBody('/api/private-addresses-bulk', 20 * 1024 * 1024, json, false, '{"addresses":["', '"]}');
  assert.is(ids.status, 413);
  // Within the byte limit but over the count: 400.
  const many = await fetch(`${m.http}/api/private-addresses-bulk`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ addresses: Array.from({ length: 5000 }, (_, i) => `x${i}@mailroom.test`) }),
  });
  assert.is(many.status, 400);
  // Every other body-taking route: the forms, a delete, and a path nobody serves.
  const msg = await latest('a60@mailroom.test');
  for (const p of ['/login', '/register', '/logout', '/account/keys', `/inbox/a60@mailroom.test/${msg.id}/delete`, '/no/such/route', '/api/addresses/x@mailroom.test']) {
    const r = await streamBody(p, 8 * 1024 * 1024, { 'content-type': 'application/x-www-form-urlencoded', origin: m.http }, false);
    assert.ok(r.status === 413 || r.status === 404 || r.status === 401 || r.status === 403, `${p}: ${r.status}`);
    const r2 = await streamBody(p, 8 * 1024 * 1024, { 'content-type': 'application/x-www-form-urlencoded', origin: m.http }, true);
    assert.ok(r2.status === 413 || r2.status === 404 || r2.status === 401 || r2.status === 403, `${p} with length: ${r2.status}`);
  }
  const login = await streamBody('/login', 8 * 1024 * 1024, { 'content-type': 'application/x-www-form-urlencoded', origin: m.http }, false);
  assert.is(login.status, 413, 'the login form is limited');
  const api = await streamBody('/api/addresses/big66@mailroom.test', 8 * 1024 * 1024, { 'content-type': 'application/json', 'mailsac-key': alice.key }, true);
  assert.is(api.status, 413);
  assert.is((await fetch(`${m.http}/healthz`)).status, 200, 'still healthy');
});

// ---------------------------------------------------------------- web abuse controls (issue 6)

test('web abuse: failed sign-ins slow down per account and address, per address across accounts, and per account (issue 13: no hard lockout)', async () => {
  resetLimits();
  const v = new Visitor(m.http);
  const t = await v.token();
  // Per account and address: 5 failures, then even the right password waits (a short, growing wait).
  for (let i = 0; i < 5; i++) assert.is((await v.req('POST', '/login', { csrf: t, username: 'alice', password: `wrong-${i}` })).status, 401);
  const waiting = await v.req('POST', '/login', { csrf: t, username: 'alice', password: 'alice-password-1' });
  assert.is(waiting.status, 429, 'alice waits');
  assert.ok(Number(waiting.headers.get('retry-after')) >= 1, 'with Retry-After');
  assert.is((await v.req('POST', '/login', { csrf: t, username: 'ALICE', password: 'alice-password-1' })).status, 429, 'in any case');
  // Another account from the same address still signs in (the address is under its own limit).
  assert.is((await new Visitor(m.http).signIn('mallory', 'mallory-password-1')).jar.has('mr_session'), true);
  // Per address: 30 failures spread over many names slow the address down for every name on a new device.
  resetLimits();
  for (let i = 0; i < 30; i++) assert.is((await v.req('POST', '/login', { csrf: t, username: `nobody${i}`, password: 'x' })).status, 401);
  assert.is((await v.req('POST', '/login', { csrf: t, username: 'mallory', password: 'mallory-password-1' })).status, 429, 'the address waits');
  resetLimits();
  // A success clears the account's count.
  for (let i = 0; i < 4; i++) await v.req('POST', '/login', { csrf: t, username: 'alice', password: 'wrong' });
  await new Visitor(m.http).signIn('alice', 'alice-password-1');
  for (let i = 0; i < 4; i++) assert.is((await v.req('POST', '/login', { csrf: t, username: 'alice', password: 'wrong' })).status, 401);
  resetLimits();
});

test('web abuse: wrong API keys are limited per address on the API and on the pages alike; good keys keep working', async () => {
  resetLimits();
  const bad = { 'Mailsac-Key': 'mr_' + 'B'.repeat(43) };
  for (let i = 0; i < 30; i++) assert.is((await fetch(`${m.http}/inbox/${PUBLIC}`, { headers: bad })).status < 429, true);
  assert.is((await fetch(`${m.http}/inbox/${PUBLIC}`, { headers: bad })).status, 429, 'pages throttle bad keys');
  assert.is((await fetch(`${m.http}/api/addresses/${PUBLIC}/messages`, { headers: bad })).status, 429, 'one budget shared with the API');
  assert.is((await fetch(`${m.http}/api/addresses/${PRIVATE}/messages`, { headers: { 'Mailsac-Key': alice.key } })).status, 200, 'a good key still works');
  resetLimits();
});

test('web abuse: sessions expire (idle and absolute), and can be revoked one or all at once', async () => {
  resetLimits();
  const a = await new Visitor(m.http).signIn('alice', 'alice-password-1');
  const b = await new Visitor(m.http).signIn('alice', 'alice-password-1');
  assert.is((await a.req('GET', '/account')).status, 200);
  // Idle expiry: the row's deadline passes.
  const tokenHash = (v: Visitor) => createHash('sha256').update(v.jar.get('mr_session')!, 'utf8').digest('hex');
  withDatabaseFile(m.store, (db) => db.prepare('UPDATE sessions SET expires = ? WHERE hash = ?').run(Date.now() - 1, tokenHash(a)), { write: true });
  assert.is((await a.req('GET', '/account')).status, 303, 'idle session expired');
  // Absolute expiry: used every minute, but signed in 31 days ago.
  withDatabaseFile(m.store, (db) => db.prepare('UPDATE sessions SET created = ?, last_seen = ? WHERE hash = ?').run(Date.now() - 31 * 86400_000, Date.now(), tokenHash(b)), { write: true });
  assert.is((await b.req('GET', '/account')).status, 303, 'too old, however recently used');
  // Revoke all: sign in on two "devices", sign out everywhere from one.
  const c = await new Visitor(m.http).signIn('alice', 'alice-password-1');
  const d = await new Visitor(m.http).signIn('alice', 'alice-password-1');
  const r = await c.req('POST', '/account/sessions/revoke', { csrf: await c.token('/account') });
  assert.is(r.status, 303);
  assert.is((await c.req('GET', '/account')).status, 303);
  assert.is((await d.req('GET', '/account')).status, 303, 'the other device is signed out too');
  assert.is(sqlValue(m.store, 'SELECT count(*) FROM sessions WHERE user_id = ?', alice.id), 0);
  // Sign-out-everywhere needs the CSRF token like every other POST.
  const e = await new Visitor(m.http).signIn('alice', 'alice-password-1');
  assert.is((await e.req('POST', '/account/sessions/revoke', {}, { origin: 'https://evil.example' })).status, 403);
  assert.is((await e.req('GET', '/account')).status, 200);
});

test.run();
