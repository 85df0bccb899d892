// One budget of memory for mail being received, across all SMTP sessions
// (issue 10: ten concurrent 25 MB messages added 1 GB of RSS). Each DATA byte
// is charged COPIES_UNTIL_COMMITTED times (smtp/data-budget.ts). Real sockets, real store.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RawSmtp, simpleMessage, dotStuff } from '../helpers/raw-smtp.js';
import { startTestMailroom } from '../helpers/mailroom.js';
import { COPIES_UNTIL_COMMITTED } from '../../src/smtp/data-budget.js';

/**
 * 700 KB in flight costs 2.1 MB and fits; two of them (1.4 MB of DATA, which
 * fitted when each byte counted once) cost 4.2 MB and do not.
 */
const BUDGET = 3 * 1024 * 1024;
assert.is(COPIES_UNTIL_COMMITTED, 3, 'the sizes below are chosen for three copies');

function bigMessage(to: string, subject: string, bytes: number): string {
  const line = 'budget filler line of plain text, seventy-something characters long.\r\n';
  return simpleMessage({ to, subject, body: line.repeat(Math.ceil(bytes / line.length)) });
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('over smtp.maxDataBytesInFlight a message gets 452 4.3.1, and the budget clears after', async () => {
  const m = await startTestMailroom({ smtp: { maxDataBytesInFlight: BUDGET } });
  const clients: RawSmtp[] = [];
  try {
    const open = async () => {
      const c = await RawSmtp.connect(m.smtpAddress.port);
      clients.push(c);
      await c.hello();
      return c;
    };
    // A: 700 KB of DATA sent, the final dot held back: its bytes are in flight.
    const a = await open();
    assert.is((await a.command('MAIL FROM:<a@example.org>')).code, 250);
    assert.is((await a.command('RCPT TO:<budget@mailroom.test>')).code, 250);
    assert.is((await a.command('DATA')).code, 354);
    a.write(dotStuff(bigMessage('budget@mailroom.test', 'first', 700 * 1024)));
    await until(() => m.smtp.stats.dataBytesInFlight >= 700 * 1024);

    // B: its 700 KB would cross the budget: drained, then 452 4.3.1 after the dot.
    const b = await open();
    const refused = await b.send('b@example.org', ['budget@mailroom.test'], bigMessage('budget@mailroom.test', 'second', 700 * 1024));
    assert.is(refused.code, 452);
    assert.match(refused.text, /^4\.3\.1 /);
    // A SIZE that does not fit the room left is told at MAIL (RFC 1870 §6.1).
    const sized = await b.command(`MAIL FROM:<b@example.org> SIZE=${700 * 1024}`);
    assert.is(sized.code, 452);
    assert.match(sized.text, /^4\.3\.1 /);
    assert.ok(m.smtp.stats.dataBudgetFull >= 2);

    // A finishes: stored, and its bytes are given back.
    a.write('\r\n.\r\n');
    assert.is((await a.reply()).code, 250);
    await until(() => m.smtp.stats.dataBytesInFlight === 0);

    // The budget has cleared: B's retry goes through.
    const retry = await b.send('b@example.org', ['budget@mailroom.test'], bigMessage('budget@mailroom.test', 'second', 700 * 1024));
    assert.is(retry.code, 250);
    await m.parseQueue.idle();
    // Exactly the two messages that got a 250 are stored; the refused one left nothing.
    assert.is(m.store.messages.count('budget@mailroom.test'), 2);
  } finally {
    for (const c of clients) await c.quit();
    await m.cleanup();
  }
});

test('a client that drops mid-DATA gives its bytes back', async () => {
  const m = await startTestMailroom({ smtp: { maxDataBytesInFlight: BUDGET } });
  try {
    const c = await RawSmtp.connect(m.smtpAddress.port);
    await c.hello();
    await c.command('MAIL FROM:<a@example.org>');
    await c.command('RCPT TO:<drop@mailroom.test>');
    await c.command('DATA');
    c.write(dotStuff(bigMessage('drop@mailroom.test', 'dropped', 600 * 1024)));
    await until(() => m.smtp.stats.dataBytesInFlight >= 600 * 1024);
    c.socket.destroy();
    await until(() => m.smtp.stats.dataBytesInFlight === 0);
    const d = await RawSmtp.connect(m.smtpAddress.port);
    await d.hello();
    assert.is((await d.send('a@example.org', ['drop@mailroom.test'], bigMessage('drop@mailroom.test', 'whole', 900 * 1024))).code, 250);
    await d.quit();
  } finally {
    await m.cleanup();
  }
});

test.run();
