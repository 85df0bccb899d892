// The web UI through app.request(), around a real temp store and real fixtures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixture, harness, securityHeaderProblems, type Harness } from './ui-harness.js';

let h: Harness;

test.before.each(() => {
  h = harness();
});
test.after.each(() => {
  h.close();
});

async function get(path: string, init?: RequestInit): Promise<{ res: Response; body: string }> {
  const res = await h.app.request(path, init);
  return { res, body: await res.text() };
}

function titleOf(html: string): string {
  return /<title>([\s\S]*?)<\/title>/.exec(html)?.[1] ?? '';
}

/** Cookie and token a browser would have after opening the message page. */
async function csrfPair(path: string): Promise<{ cookie: string; token: string }> {
  const res = await h.app.request(path);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  const token = /name="csrf" value="([^"]+)"/.exec(await res.text())?.[1] ?? '';
  return { cookie, token };
}

const ATTACHMENTS_EML = `From: Files <files@outside.example>
To: bob@mailroom.test
Subject: Files of every kind
Date: Mon, 20 May 2024 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/html; charset=utf-8

<p>See <img src="cid:../../routes.js"> and <a href="https://files.example/x">files</a></p>
--b1
Content-Type: text/html; name="page.html"
Content-Disposition: attachment; filename="page.html"

<script>alert(1)</script>
--b1
Content-Type: image/svg+xml; name="x.svg"
Content-Disposition: attachment; filename="x.svg"

<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>
--b1
Content-Type: text/plain; name="evil\u202Egpj.exe"
Content-ID: <../../routes.js>
Content-Disposition: attachment; filename="..\\\\..\\\\evil\u202Egpj.exe"

hello
--b1--
`.replace(/\n/g, '\r\n');

test('home: what this is, the domains, the address box and the public warning', async () => {
  const { res, body } = await get('/');
  assert.is(res.status, 200);
  assert.equal(securityHeaderProblems(res), []);
  assert.ok(body.includes('mailroom.test'));
  assert.ok(body.includes('example.test'));
  assert.match(body, /<form[^>]*method="get"[^>]*action="\/inbox"/);
  assert.match(body, /anyone who knows an address can read/i);
  assert.match(body, /swaks --server [^ ]+:2525/);
});

test('address box and URL spellings redirect to the one canonical inbox', async () => {
  let r = await get('/inbox?address=' + encodeURIComponent(' Foo+Tag@MailRoom.TEST '));
  assert.is(r.res.status, 302);
  assert.is(r.res.headers.get('location'), '/inbox/foo@mailroom.test');
  r = await get('/inbox?address=alice');
  assert.is(r.res.headers.get('location'), '/inbox/alice@mailroom.test');
  r = await get('/inbox/Foo%2Btag@Mailroom.Test');
  assert.is(r.res.status, 301);
  assert.is(r.res.headers.get('location'), '/inbox/foo@mailroom.test');
  r = await get('/inbox/Foo@mailroom.test/abc/raw?download=1');
  assert.is(r.res.headers.get('location'), '/inbox/foo@mailroom.test/abc/raw?download=1');
  r = await get('/inbox?address=' + encodeURIComponent('someone@elsewhere.example'));
  assert.is(r.res.status, 400);
  assert.match(r.body, /does not receive mail for elsewhere\.example/);
  r = await get('/inbox?address=' + encodeURIComponent('<script>@x'));
  assert.is(r.res.status, 400);
  assert.not.match(r.body, /<script>@x/);
});

test('unknown domain is 404, reserved local parts are 403 in every spelling', async () => {
  let r = await get('/inbox/someone@elsewhere.example');
  assert.is(r.res.status, 404);
  assert.equal(securityHeaderProblems(r.res), []);
  for (const a of ['postmaster@mailroom.test', 'Admin+x@mailroom.test', 'hostmaster@example.test', 'abuse@mailroom.test']) {
    r = await get('/inbox/' + encodeURIComponent(a).replace('%40', '@'));
    assert.is(r.res.status, 403, a);
    assert.match(r.body, /Restricted inbox/);
    assert.equal(securityHeaderProblems(r.res), []);
  }
  const id = await h.deliver(fixture('multipart-alternative.eml'), 'webmaster@mailroom.test');
  r = await get(`/inbox/webmaster@mailroom.test/${id}`);
  assert.is(r.res.status, 403);
  r = await get(`/inbox/webmaster@mailroom.test/${id}/raw`);
  assert.is(r.res.status, 403);
});

test('empty inbox says how to send a test message, and warns it is public', async () => {
  const { res, body } = await get('/inbox/nobody@mailroom.test');
  assert.is(res.status, 200);
  assert.equal(securityHeaderProblems(res), []);
  assert.ok(body.includes('swaks --server localhost:2525 --to nobody@mailroom.test'));
  assert.match(body, /Anyone who knows <span class="addr">nobody@mailroom.test<\/span> can read/);
});

test('inbox lists newest first and pages with a keyset cursor', async () => {
  const base = Date.UTC(2024, 0, 1);
  for (let i = 0; i < 55; i++) {
    await h.deliver(`From: n${i} <n${i}@outside.example>\r\nTo: list@mailroom.test\r\nSubject: number ${i}\r\n\r\nbody ${i}\r\n`, 'list@mailroom.test', {
      received: base + i * 1000,
    });
  }
  const first = await get('/inbox/list@mailroom.test');
  const subjects = [...first.body.matchAll(/number (\d+)/g)].map((m) => Number(m[1]));
  assert.is(subjects.length, 50);
  assert.is(subjects[0], 54);
  assert.is(subjects[49], 5);
  assert.ok(first.body.includes('55 messages'));
  const older = /href="([^"]*\?before=[^"]+)"/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
  assert.ok(older, 'older link');
  const second = await get(older!);
  const rest = [...second.body.matchAll(/number (\d+)/g)].map((m) => Number(m[1]));
  assert.equal(rest, [4, 3, 2, 1, 0]);
  assert.not.match(second.body, /\?before=/);
  // A garbage cursor is the first page, not an error.
  const junk = await get('/inbox/list@mailroom.test?before=../../x');
  assert.is(junk.res.status, 200);
});

test('inbox row: sender name AND real address, size, attachment mark; hostile subject escaped', async () => {
  await h.deliver(fixture('hostile.eml'), 'victim@mailroom.test');
  await h.deliver(fixture('attachment-pdf.eml'), 'victim@mailroom.test');
  const { body } = await get('/inbox/victim@mailroom.test');
  assert.not.match(body, /<script>alert/);
  assert.ok(body.includes('&lt;script&gt;alert(1)&lt;/script&gt; urgent'));
  assert.ok(body.includes('support@bank.example'));
  assert.ok(body.includes('evil@attacker.example'));
  assert.match(body, /name is not the address/);
  assert.match(body, /📎 1/);
  assert.match(body, /\d+(\.\d)? KB|\d+ B/);
});

test('message page: hostile subject escaped in body and title, sandboxed iframe, real sender address', async () => {
  const id = await h.deliver(fixture('hostile.eml'), 'victim@mailroom.test');
  const { res, body } = await get(`/inbox/victim@mailroom.test/${id}`);
  assert.is(res.status, 200);
  assert.equal(securityHeaderProblems(res), []);
  assert.not.match(body, /<script>alert/);
  assert.not.match(body, /onerror/);
  assert.ok(titleOf(body).includes('&lt;script&gt;alert(1)&lt;/script&gt; urgent'), titleOf(body));
  assert.not.match(titleOf(body), /</);
  // The only script on the page is our own, by nonce.
  const scripts = [...body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  assert.is(scripts.length, 1);
  assert.match(scripts[0]!, /src="\/static\/app.js"/);
  const nonce = /'nonce-([^']+)'/.exec(res.headers.get('content-security-policy') ?? '')?.[1];
  assert.ok(nonce && scripts[0]!.includes(`nonce="${nonce}"`));
  const iframe = /<iframe\b[^>]*>/.exec(body)?.[0] ?? '';
  assert.match(iframe, /sandbox="allow-popups allow-popups-to-escape-sandbox"/);
  assert.not.match(iframe, /allow-scripts|allow-same-origin/);
  assert.match(iframe, new RegExp(`src="/inbox/victim@mailroom.test/${id}/html"`));
  assert.ok(body.includes('evil@attacker.example'));
  // Remote content was blocked, and the reader can unblock it for this message.
  assert.match(body, /Load remote images \(\d+ blocked\)/);
  assert.ok(body.includes(`/inbox/victim@mailroom.test/${id}?view=html&amp;remote=1`));
  // Links listed with their real host.
  assert.match(body, /<span class="host">attacker\.example<\/span>/);
  assert.not.match(body, /href="javascript:/i);
  // Viewing is not a state change.
  assert.is(h.store.messages.get(id)!.read, false);
});

test('html route: sandbox CSP, sanitized body, remote images only when unblocked', async () => {
  const id = await h.deliver(fixture('hostile.eml'), 'victim@mailroom.test');
  const { res, body } = await get(`/inbox/victim@mailroom.test/${id}/html`);
  assert.is(res.status, 200);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /^sandbox allow-popups allow-popups-to-escape-sandbox;/);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /style-src 'unsafe-inline'/);
  assert.match(csp, new RegExp(`img-src data: http://localhost/inbox/victim@mailroom.test/${id}/cid/(;|$)`));
  assert.match(csp, /form-action 'none'/);
  assert.match(csp, /base-uri 'none'/);
  assert.not.match(csp, /script-src/);
  assert.not.match(csp, /https:/);
  assert.is(res.headers.get('x-content-type-options'), 'nosniff');
  assert.is(res.headers.get('x-frame-options'), 'SAMEORIGIN');
  assert.not.match(body, /<script/i);
  assert.not.match(body, /onerror|onload/i);
  assert.not.match(body, /javascript:/i);
  assert.not.match(body, /tracker\.example/);
  assert.not.match(body, /<(meta http-equiv|base|form|iframe|svg|link)\b/i);
  const remote = await get(`/inbox/victim@mailroom.test/${id}/html?remote=1`);
  assert.match(remote.res.headers.get('content-security-policy') ?? '', /img-src [^;]* https: http:/);
  assert.match(remote.body, /tracker\.example\/p\.gif/);
  assert.not.match(remote.body, /<script/i);
});

test('cid images resolve through the cid route; a Content-ID is only a lookup key', async () => {
  const id = await h.deliver(fixture('inline-cid-image.eml'), 'alice@mailroom.test');
  const html = await get(`/inbox/alice@mailroom.test/${id}/html`);
  assert.ok(html.body.includes(`src="/inbox/alice@mailroom.test/${id}/cid/logo@x"`), html.body);
  const img = await get(`/inbox/alice@mailroom.test/${id}/cid/logo@x`);
  assert.is(img.res.status, 200);
  assert.is(img.res.headers.get('content-type'), 'image/png');
  assert.is(img.res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(img.res.headers.get('content-security-policy') ?? '', /sandbox/);
  assert.is((await get(`/inbox/alice@mailroom.test/${id}/cid/missing@x`)).res.status, 404);
  assert.is((await get(`/inbox/alice@mailroom.test/${id}/cid/..%2F..%2Froutes.js`)).res.status, 404);

  const other = await h.deliver(ATTACHMENTS_EML, 'bob@mailroom.test');
  const traversal = await get(`/inbox/bob@mailroom.test/${other}/cid/..%2F..%2Froutes.js`);
  // Found as a key in the DB (the text part), served as bytes, never read from disk.
  assert.is(traversal.res.status, 200);
  assert.is(traversal.body.trim(), 'hello');
  assert.is(traversal.res.headers.get('content-type'), 'application/octet-stream');
});

test('attachments download with attachment disposition, nosniff, sandbox CSP and no renderable type', async () => {
  const id = await h.deliver(ATTACHMENTS_EML, 'bob@mailroom.test');
  const page = await get(`/inbox/bob@mailroom.test/${id}`);
  assert.ok(page.body.includes('Attachments (3)'));
  assert.not.match(page.body, /\u202E/);
  const types: string[] = [];
  for (const idx of [0, 1, 2]) {
    const { res } = await get(`/inbox/bob@mailroom.test/${id}/attachments/${idx}`);
    assert.is(res.status, 200);
    const cd = res.headers.get('content-disposition') ?? '';
    assert.match(cd, /^attachment;/);
    assert.not.match(cd, /[\\/]|\.\./);
    assert.not.match(cd, /\u202E/);
    assert.is(res.headers.get('x-content-type-options'), 'nosniff');
    assert.is(res.headers.get('content-security-policy'), "default-src 'none'; sandbox");
    types.push(res.headers.get('content-type') ?? '');
  }
  assert.equal(types, ['application/octet-stream', 'application/octet-stream', 'text/plain']);
  assert.is((await get(`/inbox/bob@mailroom.test/${id}/attachments/9`)).res.status, 404);
  assert.is((await get(`/inbox/bob@mailroom.test/${id}/attachments/..%2F..%2Fetc%2Fpasswd`)).res.status, 404);

  const pdf = await h.deliver(fixture('attachment-pdf.eml'), 'ops@mailroom.test');
  const { res } = await get(`/inbox/ops@mailroom.test/${pdf}/attachments/0`);
  assert.is(res.headers.get('content-type'), 'application/pdf');
  assert.match(res.headers.get('content-disposition') ?? '', /^attachment;.*invoice-2024-051\.pdf/);
});

test('an id from another inbox, or a path-like id, is 404', async () => {
  const id = await h.deliver(fixture('multipart-alternative.eml'), 'alice@mailroom.test');
  for (const sub of ['', '/html', '/raw', '/headers', '/attachments/0']) {
    assert.is((await get(`/inbox/mallory@mailroom.test/${id}${sub}`)).res.status, 404, sub);
  }
  assert.is((await get(`/inbox/alice@mailroom.test/%2e%2e%2f`)).res.status, 404);
  assert.is((await get(`/inbox/alice@mailroom.test/..%2F..%2Fetc%2Fpasswd/raw`)).res.status, 404);
  assert.is((await get(`/inbox/alice@mailroom.test/${id}`)).res.status, 200);
});

test('raw source: text/plain with nosniff and sandbox CSP; download as attachment', async () => {
  const id = await h.deliver(fixture('hostile.eml'), 'victim@mailroom.test');
  let r = await get(`/inbox/victim@mailroom.test/${id}/raw`);
  assert.is(r.res.status, 200);
  assert.is(r.res.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.is(r.res.headers.get('x-content-type-options'), 'nosniff');
  assert.is(r.res.headers.get('content-security-policy'), "default-src 'none'; sandbox");
  assert.ok(r.body.includes('<script>alert(document.cookie)</script>'));
  r = await get(`/inbox/victim@mailroom.test/${id}/raw?download=1`);
  assert.match(r.res.headers.get('content-disposition') ?? '', /^attachment;.*\.eml/);
});

test('plain text and headers tabs escape everything', async () => {
  const id = await h.deliver(
    'From: "<b>x</b>" <a@outside.example>\r\nTo: t@mailroom.test\r\nX-Evil: <img src=x onerror=alert(1)>\r\nSubject: tabs\r\n\r\nhttps://x.example/"><script>alert(1)</script>\r\n',
    't@mailroom.test',
  );
  const text = await get(`/inbox/t@mailroom.test/${id}?view=text`);
  assert.not.match(text.body, /<script>alert/);
  assert.not.match(text.body, /<b>x<\/b>/);
  assert.match(text.body, /<a href="https:\/\/x.example\/" rel="noopener noreferrer"/);
  const headers = await get(`/inbox/t@mailroom.test/${id}/headers`);
  assert.is(headers.res.status, 200);
  assert.ok(headers.body.includes('X-Evil'));
  assert.ok(headers.body.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.not.match(headers.body, /<img src=x/);
});

test('a message still being processed is not listed, and its page answers 503 + Retry-After until it is ready (issue 10)', async () => {
  const raw = fixture('multipart-alternative.eml');
  const id = await h.deliver(raw, 'p@mailroom.test', { parse: false });
  const list = await get('/inbox/p@mailroom.test');
  assert.not.ok(list.body.includes(id), 'not listed before ready');
  for (const suffix of ['', '/html', '/raw', '/headers']) {
    const { res } = await get(`/inbox/p@mailroom.test/${id}${suffix}`);
    assert.is(res.status, 503, `page${suffix}`);
    assert.is(res.headers.get('retry-after'), '1');
  }
  const { parseMessage } = await import('../../src/mail/parse.js');
  h.store.messages.applyParse(h.store.messages.get(id)!.contentId, await parseMessage(raw));
  assert.is((await get(`/inbox/p@mailroom.test/${id}`)).res.status, 200);
  assert.ok((await get('/inbox/p@mailroom.test')).body.includes(id), 'listed once ready');
});

test('a message that could not be parsed is flagged and shown as raw source', async () => {
  const raw = fixture('malformed.eml');
  const id = await h.deliver(raw, 'alice@mailroom.test', { parse: false });
  const m = h.store.messages.get(id)!;
  const { parseMessage } = await import('../../src/mail/parse.js');
  const p = await parseMessage(raw);
  h.store.messages.applyParse(m.contentId, { ...p, ok: false, error: 'forced for the test' });
  const { body } = await get(`/inbox/alice@mailroom.test/${id}`);
  assert.match(body, /could not be parsed/);
  assert.match(body, /<pre class="raw">/);
  assert.ok(body.includes('The header block above has no blank line'));
  const list = await get('/inbox/alice@mailroom.test');
  assert.match(list.body, /unparsed/);
});

test('delete: GET does nothing, POST needs the CSRF token and our Origin', async () => {
  const id = await h.deliver(fixture('multipart-alternative.eml'), 'd@mailroom.test');
  const page = `/inbox/d@mailroom.test/${id}`;
  const del = `${page}/delete`;

  const g = await get(del);
  assert.is(g.res.status, 405);
  assert.ok(h.store.messages.get(id), 'GET must not delete');

  const form = (token?: string) => new URLSearchParams(token === undefined ? {} : { csrf: token }).toString();
  const post = (headers: Record<string, string>, body: string) =>
    h.app.request(del, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

  assert.is((await post({}, form())).status, 403);
  const { cookie, token } = await csrfPair(page);
  assert.match(cookie, /^mr_csrf=/);
  assert.ok(token);
  assert.is((await post({ cookie }, form())).status, 403, 'no token');
  assert.is((await post({}, form(token))).status, 403, 'no cookie');
  assert.is((await post({ cookie }, form(token + 'x'))).status, 403, 'bad token');
  assert.is((await post({ cookie, origin: 'https://evil.example' }, form(token))).status, 403, 'foreign origin');
  assert.is((await post({ cookie, origin: 'null' }, form(token))).status, 403, 'opaque origin');
  assert.ok(h.store.messages.get(id), 'still there');

  const ok = await post({ cookie, origin: 'http://localhost' }, form(token));
  assert.is(ok.status, 303);
  assert.is(ok.headers.get('location'), '/inbox/d@mailroom.test?deleted=1');
  assert.is(h.store.messages.get(id), null);
  assert.is((await get(page)).res.status, 404);
  assert.match((await get('/inbox/d@mailroom.test?deleted=1')).body, /Message deleted/);
});

test('CSRF cookie: HttpOnly, SameSite, Secure (and __Host-) behind https', async () => {
  const id = await h.deliver(fixture('multipart-alternative.eml'), 'c@mailroom.test');
  let res = await h.app.request(`/inbox/c@mailroom.test/${id}`);
  let sc = res.headers.get('set-cookie') ?? '';
  assert.match(sc, /HttpOnly/i);
  assert.match(sc, /SameSite=Strict/i);
  assert.not.match(sc, /Secure/i);
  assert.not.match(sc, /Max-Age|Expires/i);
  res = await h.app.request(`https://mail.example/inbox/c@mailroom.test/${id}`);
  sc = res.headers.get('set-cookie') ?? '';
  assert.match(sc, /^__Host-mr_csrf=/);
  assert.match(sc, /Secure/);
  h.close();
  h = harness({ http: { publicUrl: 'https://mail.example' } });
  const id2 = await h.deliver(fixture('multipart-alternative.eml'), 'c@mailroom.test');
  res = await h.app.request(`/inbox/c@mailroom.test/${id2}`);
  assert.match(res.headers.get('set-cookie') ?? '', /Secure/);
});

test('static assets and every page carry the security headers', async () => {
  const id = await h.deliver(fixture('hostile.eml'), 'victim@mailroom.test');
  for (const p of ['/', '/inbox/victim@mailroom.test', `/inbox/victim@mailroom.test/${id}`, `/inbox/victim@mailroom.test/${id}/headers`, '/inbox/x@nowhere.example']) {
    const res = await h.app.request(p);
    assert.equal(securityHeaderProblems(res), [], p);
  }
  const css = await h.app.request('/static/app.css');
  assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
  const js = await h.app.request('/static/app.js');
  assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
});

test.run();
