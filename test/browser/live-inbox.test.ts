// The live inbox (issue 11) in a real Chromium: a message sent over SMTP
// while the inbox page is open appears in it without a reload, its subject
// as text (never markup), and the page says so when the connection is lost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium } from 'playwright-core';
import { startTestMailroom } from '../helpers/mailroom.js';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function send(port: number, to: string, subject: string): Promise<void> {
  const c = await RawSmtp.connect(port);
  await c.hello();
  for (const cmd of ['MAIL FROM:<a@example.org>', `RCPT TO:<${to}>`, 'DATA']) await c.command(cmd);
  c.write(simpleMessage({ to, subject }).replace(/\r\n$/, '') + '\r\n.\r\n');
  assert.is((await c.reply()).code, 250);
  c.write('QUIT\r\n');
}

test('a message sent while the inbox page is open appears in it; a lost connection is shown', async () => {
  const m = await startTestMailroom();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  let stopped = false;
  try {
    await send(m.smtpAddress.port, 'live@mailroom.test', 'already here');
    await m.parseQueue.idle();
    const page = await browser.newPage();
    const navigations: string[] = [];
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
    await page.goto(`${m.http}/inbox/live@mailroom.test`);
    await page.waitForSelector('.live-status[data-state="live"]', { timeout: 10_000 });

    await send(m.smtpAddress.port, 'live@mailroom.test', '<img src=x onerror=alert(1)> live one');
    const row = await page.waitForSelector('tr.live-new td.subject a', { timeout: 10_000 });
    assert.is(await row.textContent(), '<img src=x onerror=alert(1)> live one');
    assert.is(await page.locator('table.list tbody tr').count(), 2);
    assert.is(await page.locator('table.list img').count(), 0, 'the subject is text, not markup');
    assert.is(navigations.length, 1, 'no reload');
    // The new row links to the message page, as the server-rendered list does.
    const href = (await row.getAttribute('href'))!;
    const rendered = await (await fetch(`${m.http}/inbox/live@mailroom.test`)).text();
    assert.ok(rendered.includes(`href="${href}"`), href);

    await m.stop();
    stopped = true;
    await page.waitForSelector('.live-status[data-state="lost"]', { timeout: 10_000 });
    assert.match((await page.textContent('.live-status'))!, /lost/);
  } finally {
    await browser.close();
    if (stopped) await m.cleanup().catch(() => {});
    else await m.cleanup();
  }
});

test.run();
