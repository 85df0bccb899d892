// Back-pressure on processing (issue 16): past smtp.maxPendingMessages
// acknowledged-but-not-ready messages, new mail gets 451 4.3.0 and nothing is
// stored; once processing catches up, mail is accepted again. Real sockets,
// real store; processing is held back through the writer thread.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { startTestMailroom } from '../helpers/mailroom.js';

const BOUND = 3;

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const mail = (n: number) => simpleMessage({ to: 'backlog@mailroom.test', subject: `backlog ${n}`, body: `message ${n}\r\n` });

test('past smtp.maxPendingMessages new mail gets 451 4.3.0, and is accepted again once the backlog drains', async () => {
  const m = await startTestMailroom({ smtp: { maxPendingMessages: BOUND } });
  const c = await RawSmtp.connect(m.smtpAddress.port);
  try {
    await c.hello();
    m.writer.holdParsing(true);
    // Up to the bound, mail is acknowledged though none of it becomes ready.
    for (let i = 0; i < BOUND; i++) assert.is((await c.send('a@example.org', ['backlog@mailroom.test'], mail(i))).code, 250, `message ${i}`);
    assert.is(m.writer.pendingMessages, BOUND);

    // At the bound: a temporary failure after the dot, on this session and on a new one.
    const refused = await c.send('a@example.org', ['backlog@mailroom.test'], mail(BOUND));
    assert.is(refused.code, 451);
    assert.match(refused.text, /^4\.3\.0 /);
    const other = await RawSmtp.connect(m.smtpAddress.port);
    try {
      await other.hello();
      assert.is((await other.send('b@example.org', ['backlog@mailroom.test'], mail(BOUND + 1))).code, 451);
    } finally {
      await other.quit();
    }
    assert.is(m.smtp.stats.backlogFull, 2);
    // /healthz shows the backlog that caused it.
    const health = (await (await fetch(`${m.http}/healthz`)).json()) as { pending: number };
    assert.is(health.pending, BOUND);

    // Processing goes on: the backlog drains and the same session is accepted again.
    m.writer.holdParsing(false);
    await until(() => m.writer.pendingMessages === 0);
    const retried = await c.send('a@example.org', ['backlog@mailroom.test'], mail(BOUND));
    assert.is(retried.code, 250);
    await m.parseQueue.idle();
    // The refused messages left nothing behind: the three before and the retry.
    assert.is(m.store.messages.count('backlog@mailroom.test'), BOUND + 1);
  } finally {
    await c.quit();
    await m.cleanup();
  }
});

test('smtp.maxPendingMessages 0 puts no bound on the backlog', async () => {
  const m = await startTestMailroom({ smtp: { maxPendingMessages: 0 } });
  const c = await RawSmtp.connect(m.smtpAddress.port);
  try {
    await c.hello();
    m.writer.holdParsing(true);
    for (let i = 0; i < 5; i++) assert.is((await c.send('a@example.org', ['backlog@mailroom.test'], mail(i))).code, 250);
    assert.is(m.writer.pendingMessages, 5);
    m.writer.holdParsing(false);
    await m.parseQueue.idle();
    assert.is(m.store.messages.count('backlog@mailroom.test'), 5);
  } finally {
    await c.quit();
    await m.cleanup();
  }
});

test.run();
