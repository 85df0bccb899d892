// The hostile corpus (corpus.ts, 40+ messages) in real headless Chromium
// (issue 6): every message is delivered over SMTP to a whole Mailroom and
// opened in every view a reader can reach: the inbox list, the message page
// (with its sandboxed HTML iframe), the HTML route on its own, the text view,
// the headers, the raw source, each attachment download, search results and
// the account's mail page. For each: no script of the message's runs (dialog,
// window.__pwned, console), the top page navigates nowhere we did not send it,
// and no request leaves Mailroom's origin until the reader clicks "Load remote
// images". Every request of the whole run is written to a log file under the
// OS temp dir, and a one-line summary is printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestMailroom } from '../helpers/mailroom.js';
import { RawSmtp } from '../helpers/raw-smtp.js';
import { CORPUS, toEml, type CorpusMessage } from './corpus.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const VICTIM = 'victim@mailroom.test';
const OWNED = 'reader@mailroom.test';
const TOKEN = 'corpustoken';
/** Links to the victim's messages, whichever way a page encodes the `@`. */
const LINK_TO_VICTIM = 'a[href*="/inbox/victim@mailroom.test/"], a[href*="/inbox/victim%40mailroom.test/"]';
/** Messages opened at once, each in its own context: the waits overlap, the browser is shared. */
const PARALLEL = 3;

type M = Awaited<ReturnType<typeof startTestMailroom>>;
let m: M;
let origin: string;
let browser: Browser;
let sessionToken = '';
const ids = new Map<string, string>();

interface LogEntry {
  message: string;
  view: string;
  phase: 'blocked' | 'unblocked';
  url: string;
  frame: 'main' | 'sub' | 'other';
  offOrigin: boolean;
}
const requestLog: LogEntry[] = [];

interface Probe {
  context: BrowserContext;
  page: Page;
  dialogs: string[];
  console: string[];
  navigations: string[];
  expected: Set<string>;
  state: { message: string; view: string; phase: 'blocked' | 'unblocked' };
  offOrigin: () => LogEntry[];
}

async function probe(message: string): Promise<Probe> {
  const context = await browser.newContext({ acceptDownloads: true });
  const state = { message, view: '', phase: 'blocked' as 'blocked' | 'unblocked' };
  const mine: LogEntry[] = [];
  // Nothing leaves the machine: every request is logged; off-origin ones are aborted.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    return new URL(url).origin === origin ? route.continue() : route.abort('blockedbyclient');
  });
  const p: Probe = {
    context,
    page: undefined as unknown as Page,
    dialogs: [],
    console: [],
    navigations: [],
    expected: new Set(),
    state,
    offOrigin: () => mine.filter((e) => e.offOrigin && e.phase === 'blocked'),
  };
  context.on('request', (req) => {
    const url = req.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    let frame: LogEntry['frame'] = 'other';
    try {
      frame = req.frame() === p.page?.mainFrame() ? 'main' : 'sub';
    } catch {
      // service-worker or detached frame requests have no frame
    }
    const e: LogEntry = { message: state.message, view: state.view, phase: state.phase, url, frame, offOrigin: new URL(url).origin !== origin };
    mine.push(e);
    requestLog.push(e);
  });
  await context.addInitScript(() => {
    (window as unknown as Record<string, unknown>).__pwned = 0;
  });
  if (sessionToken) await context.addCookies([{ name: 'mr_session', value: sessionToken, url: origin, httpOnly: true, sameSite: 'Lax' }]);
  const page = await context.newPage();
  p.page = page;
  page.on('console', (msg) => p.console.push(`${msg.type()}: ${msg.text()}`));
  page.on('dialog', (d) => {
    p.dialogs.push(`${state.view}: ${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => {});
  });
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) p.navigations.push(f.url());
  });
  return p;
}

async function visit(p: Probe, view: string, url: string, settleMs = 50): Promise<void> {
  p.state.view = view;
  p.expected.add(url);
  await p.page.goto(url, { waitUntil: 'load' });
  await p.page.waitForTimeout(settleMs);
}

/** Downloads must download, never render: the page stays where it was. */
async function download(p: Probe, view: string, url: string): Promise<string> {
  p.state.view = view;
  const before = p.page.url();
  const [dl] = await Promise.all([p.page.waitForEvent('download', { timeout: 10_000 }), p.page.goto(url).catch(() => null)]);
  await dl.cancel().catch(() => {});
  assert.is(p.page.url(), before, `${view}: a download, not a navigation`);
  return dl.suggestedFilename();
}

async function pwnedAnywhere(page: Page): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const f of page.frames()) {
    try {
      const v = await f.evaluate(() => (window as unknown as Record<string, unknown>).__pwned);
      if (v !== 0 && v !== undefined) out.push(`${f.url()}: ${String(v)}`);
    } catch {
      // a sandboxed frame without scripts cannot be evaluated in: nothing ran there either
    }
  }
  return out;
}

async function assertClean(p: Probe, label: string): Promise<void> {
  assert.equal(p.dialogs, [], `${label}: dialogs`);
  assert.equal(p.console.filter((c) => /PWNED/.test(c)), [], `${label}: console output from a message script`);
  assert.equal(await pwnedAnywhere(p.page), [], `${label}: __pwned set`);
  const unexpected = p.navigations.filter((u) => !p.expected.has(u));
  assert.equal(unexpected, [], `${label}: the top page navigated`);
  assert.equal(p.offOrigin().map((e) => `${e.view}: ${e.url}`), [], `${label}: off-origin requests before unblocking`);
}

test.before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium (or set CHROMIUM_PATH)`);
  m = await startTestMailroom();
  origin = m.http;
  // A reader with a private address, to reach the account's mail page.
  const reader = await m.store.users.create({ username: 'reader', role: 'user' });
  m.store.addresses.reserve(OWNED, reader.id);
  sessionToken = m.store.sessions.create(reader.id, 3600_000);
  // Over real SMTP: one session, one transaction per message, to the public victim and the private reader.
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.hello();
  for (const msg of CORPUS) {
    const r = await c.send('corpus@attacker.example', [VICTIM, OWNED], toEml(msg, VICTIM, TOKEN));
    assert.is(r.code, 250, `${msg.id}: ${r.code} ${r.text}`);
  }
  await c.quit();
  await m.parseQueue.idle();
  const stored = m.store.messages.list(VICTIM, { limit: 1000 });
  assert.is(stored.length, CORPUS.length, 'every corpus message stored');
  // Stored in sending order (seq); the Message-ID set by toEml confirms the pairing where present.
  const ordered = [...stored].sort((a, b) => a.seq - b.seq);
  CORPUS.forEach((c, i) => {
    const s = ordered[i]!;
    if (/@corpus\.example>?$/.test(s.messageId)) assert.ok(s.messageId.includes(`${c.id}.`), `${c.id} ↔ ${s.messageId}`);
    ids.set(c.id, s.id);
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
});

test.after(async () => {
  await browser?.close();
  await m?.cleanup();
  const file = path.join(os.tmpdir(), `mailroom-browser-corpus-${process.pid}.jsonl`);
  writeFileSync(file, requestLog.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const blockedOff = requestLog.filter((e) => e.offOrigin && e.phase === 'blocked').length;
  const unblockedOff = requestLog.filter((e) => e.offOrigin && e.phase === 'unblocked').length;
  console.log(
    `browser corpus: ${CORPUS.length} messages, ${requestLog.length} requests, off-origin before unblocking: ${blockedOff}, ` +
      `off-origin after "load remote images" (aborted): ${unblockedOff}; log: ${file}`,
  );
});

test(`the corpus has at least 40 messages in every family the issue names`, () => {
  assert.ok(CORPUS.length >= 40, `${CORPUS.length} messages`);
  const families = new Set(CORPUS.map((c) => c.family));
  for (const f of ['mxss', 'svg', 'css', 'tracking', 'meta-refresh', 'base', 'form', 'link-spoof', 'header-injection', 'attachment'] as const) assert.ok(families.has(f), f);
  assert.ok(CORPUS.some((c) => c.subject) && CORPUS.some((c) => c.from) && CORPUS.some((c) => c.attachments?.length), 'subjects, names, filenames');
  assert.is(new Set(CORPUS.map((c) => c.id)).size, CORPUS.length, 'unique ids');
});

test('bad-inputs 51-58: the inbox list, search results and account mail page with every hostile subject and name', async () => {
  const p = await probe('(lists)');
  try {
    await visit(p, 'inbox list', `${origin}/inbox/${VICTIM}`, 300);
    const rows = await p.page.locator(LINK_TO_VICTIM).count();
    assert.ok(rows >= CORPUS.length, `the list shows every message (${rows} links)`);
    assert.is(await p.page.evaluate(() => document.querySelector('title')?.children.length), 0, 'the title is text');
    await visit(p, 'search', `${origin}/search?q=${TOKEN}&inbox=${VICTIM}`, 300);
    assert.ok((await p.page.locator(LINK_TO_VICTIM).count()) > 0, 'search found the corpus');
    await visit(p, 'account mail', `${origin}/account/mail`, 300);
    assert.ok((await p.page.locator('a[href*="/inbox/reader"]').count()) > 0, 'the account page lists the private copies');
    await visit(p, 'private inbox', `${origin}/inbox/${OWNED}`, 300);
    assert.is(await p.page.locator('script:not([src])').count(), 0, 'no inline script on our pages');
    await assertClean(p, 'lists');
  } finally {
    await p.context.close();
  }
});

async function everyView(p: Probe, c: CorpusMessage): Promise<void> {
  const id = ids.get(c.id)!;
  const base = `${origin}/inbox/${VICTIM}/${id}`;
  p.state.message = c.id;
  p.state.phase = 'blocked';
  await visit(p, 'message', base, 300);
  const frame = p.page.frames().find((f) => f.url().startsWith(`${base}/html`));
  if (await p.page.locator('iframe.body').count()) {
    assert.ok(frame, `${c.id}: the body iframe loaded`);
    assert.is(await p.page.$eval('iframe.body', (el) => el.getAttribute('sandbox')), 'allow-popups allow-popups-to-escape-sandbox');
  }
  // A hostile subject is in the title as text (page.title() shows it verbatim), never as elements.
  assert.is(await p.page.evaluate(() => document.querySelector('title')?.children.length), 0, `${c.id}: the title is text`);
  const canUnblock = (await p.page.locator('#load-remote').count()) > 0;
  await visit(p, 'text', `${base}?view=text`);
  await visit(p, 'headers', `${base}/headers`);
  await visit(p, 'raw', `${base}/raw`);
  assert.is(await p.page.evaluate(() => document.contentType), 'text/plain', `${c.id}: raw source is text`);
  await visit(p, 'html route', `${base}/html`, 200);
  // Attachments: every one the message page offers downloads, under a name that is not a path.
  const msg = m.store.messages.get(id)!;
  for (const a of msg.attachments) {
    const name = await download(p, `attachment ${a.idx}`, `${base}/attachments/${a.idx}`);
    assert.not.match(name, /[\/\\]|\.\.|[\u0000-\u001f\u202a-\u202e]/, `${c.id}: downloaded name ${JSON.stringify(name)}`);
  }
  await download(p, 'raw download', `${base}/raw?download=1`);
  await assertClean(p, c.id);

  // Only now may remote images be fetched, and only when the reader asks (aborted here all the same).
  if (canUnblock) {
    await visit(p, 'message again', base);
    const unblock = p.page.locator('#load-remote');
    p.state.phase = 'unblocked';
    p.state.view = 'remote images loaded';
    const href = await unblock.getAttribute('href');
    p.expected.add(new URL(href!, base).toString());
    await Promise.all([p.page.waitForURL(/remote=1/), unblock.click()]);
    await p.page.waitForTimeout(400);
    assert.equal(p.dialogs, [], `${c.id}: dialogs after unblocking`);
    assert.equal(await pwnedAnywhere(p.page), [], `${c.id}: __pwned after unblocking`);
    assert.equal(p.navigations.filter((u) => !p.expected.has(u)), [], `${c.id}: navigation after unblocking`);
  }
}

// One browser; one context per family (its messages one after another, each
// request tagged with its message); a few families at once to overlap the waits.
test(`bad-inputs 51-58 in Chromium: ${CORPUS.length} messages × every view: no script, no navigation, no off-origin request`, async () => {
  const failures: string[] = [];
  const queue = [...new Set(CORPUS.map((c) => c.family))];
  const worker = async () => {
    for (let family = queue.shift(); family; family = queue.shift()) {
      const p = await probe(family);
      try {
        for (const c of CORPUS.filter((x) => x.family === family)) {
          try {
            await everyView(p, c);
          } catch (err) {
            failures.push(`${family}/${c.id}: ${(err as Error).message}`);
          }
        }
      } finally {
        await p.context.close();
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  assert.equal(failures, [], failures.join('\n'));
});

test('the whole run: every request recorded, none off-origin before unblocking; unblocking does reach out', () => {
  assert.ok(requestLog.length > CORPUS.length * 5, `${requestLog.length} requests recorded`);
  assert.ok(requestLog.some((e) => e.frame === 'sub' && e.url.includes('/html')), 'iframe requests are in the log');
  assert.equal(requestLog.filter((e) => e.offOrigin && e.phase === 'blocked').map((e) => `${e.message}/${e.view}: ${e.url}`), []);
  const after = requestLog.filter((e) => e.offOrigin && e.phase === 'unblocked');
  assert.ok(after.length > 0, 'the tracking family does request its pixels once unblocked');
  assert.ok(after.every((e) => /^https?:\/\/(tracker|attacker)\.example\//.test(e.url)), after.map((e) => e.url).join(', '));
});

test.run();
