// Back-pressure on processing (issue 16): past the backlog bound, the reply
// to a final dot is held (nothing stored) until processing makes room, then
// the message is stored and gets its 250; when the wait runs out it gets
// 451 4.3.0 and nothing is stored. Real sockets, real store; processing is
// held back through the writer thread, so the tests assert the order of
// events, never how long they took.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RawSmtp, simpleMessage, type Reply } from '../helpers/raw-smtp.js';
import { startTestMailroom } from '../helpers/mailroom.js';
import { BACKLOG_FLOOR_PER_WORKER } from '../../src/smtp/receiver.js';
import { parsePoolSize } from '../../src/jobs/parse-pool.js';

const BOUND = 3;
const INBOX = 'backlog@mailroom.test';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const mail = (n: number) => simpleMessage({ to: INBOX, subject: `backlog ${n}`, body: `message ${n}\r\n` });

/** The count alone (maxPendingSeconds 0), so the bound is BOUND whatever the rate. */
const countOnly = (extra: Record<string, number> = {}) => ({ smtp: { maxPendingMessages: BOUND, maxPendingSeconds: 0, ...extra } });

/** A reply that is recorded when it comes, with what had happened by then. */
function watch(p: Promise<Reply>, seen: () => string): { reply: Reply | null; when: string | null; done: Promise<Reply> } {
  const w: { reply: Reply | null; when: string | null; done: Promise<Reply> } = { reply: null, when: null, done: p };
  w.done = p.then((r) => {
    w.reply = r;
    w.when = seen();
    return r;
  });
  return w;
}

test('past the bound the reply to the final dot is held until processing makes room, then 250 and stored', async () => {
  const m = await startTestMailroom(countOnly());
  const c = await RawSmtp.connect(m.smtpAddress.port);
  try {
    await c.hello();
    m.writer.holdParsing(true);
    // Up to the bound, mail is acknowledged though none of it becomes ready.
    for (let i = 0; i < BOUND; i++) assert.is((await c.send('a@example.org', [INBOX], mail(i))).code, 250, `message ${i}`);
    assert.is(m.writer.pendingMessages, BOUND);

    let phase = 'processing held';
    const held = watch(c.send('a@example.org', [INBOX], mail(BOUND)), () => phase);
    await until(() => m.smtp.stats.backlogHeld === 1);
    // Held: no reply, not stored, the backlog still at its bound; /healthz shows it.
    assert.is(held.reply, null);
    assert.is(m.smtp.stats.accepted, BOUND);
    assert.is(m.writer.pendingMessages, BOUND);
    const health = (await (await fetch(`${m.http}/healthz`)).json()) as { pending: number; smtp: { backlogHeld: number; backlogBound: number } };
    assert.is(health.pending, BOUND);
    assert.is(health.smtp.backlogHeld, 1);
    assert.is(health.smtp.backlogBound, BOUND);

    phase = 'processing resumed';
    m.writer.holdParsing(false);
    const r = await held.done;
    assert.is(r.code, 250);
    assert.is(held.when, 'processing resumed');
    assert.is(m.smtp.stats.backlogWaited, 1);
    assert.is(m.smtp.stats.backlogFull, 0);
    await m.parseQueue.idle();
    assert.is(m.store.messages.count(INBOX), BOUND + 1);
  } finally {
    await c.quit();
    await m.cleanup();
  }
});

test('held replies are served first come, first served as room is made', async () => {
  const m = await startTestMailroom(countOnly());
  const a = await RawSmtp.connect(m.smtpAddress.port);
  const b = await RawSmtp.connect(m.smtpAddress.port);
  try {
    await a.hello();
    await b.hello();
    m.writer.holdParsing(true);
    for (let i = 0; i < BOUND; i++) assert.is((await a.send('a@example.org', [INBOX], mail(i))).code, 250);
    const order: string[] = [];
    const first = a.send('a@example.org', [INBOX], mail(10)).then((r) => (order.push('a'), r));
    await until(() => m.smtp.stats.backlogHeld === 1);
    const second = b.send('b@example.org', [INBOX], mail(11)).then((r) => (order.push('b'), r));
    await until(() => m.smtp.stats.backlogHeld === 2);
    m.writer.holdParsing(false);
    assert.is((await first).code, 250);
    assert.is((await second).code, 250);
    assert.equal(order, ['a', 'b']);
    await m.parseQueue.idle();
    assert.is(m.store.messages.count(INBOX), BOUND + 2);
  } finally {
    await a.quit();
    await b.quit();
    await m.cleanup();
  }
});

test('smtp.maxPendingWaitSeconds: when the wait runs out the held message gets 451 4.3.0 and nothing is stored', async () => {
  const m = await startTestMailroom(countOnly({ maxPendingWaitSeconds: 1 }));
  const c = await RawSmtp.connect(m.smtpAddress.port);
  try {
    await c.hello();
    m.writer.holdParsing(true);
    for (let i = 0; i < BOUND; i++) assert.is((await c.send('a@example.org', [INBOX], mail(i))).code, 250);
    // Processing stays held: the wait runs out.
    const refused = await c.send('a@example.org', [INBOX], mail(BOUND));
    assert.is(refused.code, 451);
    assert.match(refused.text, /^4\.3\.0 /);
    assert.is(m.smtp.stats.backlogFull, 1);
    assert.is(m.smtp.stats.backlogHeld, 0);
    assert.is(m.smtp.stats.dataBytesInFlight, 0);
    m.writer.holdParsing(false);
    await m.parseQueue.idle();
    assert.is(m.store.messages.count(INBOX), BOUND);
  } finally {
    await c.quit();
    await m.cleanup();
  }
});

test('maxPendingWaitSeconds 0: past the bound 451 4.3.0 at once, and accepted again once the backlog drains', async () => {
  const m = await startTestMailroom(countOnly({ maxPendingWaitSeconds: 0 }));
  const c = await RawSmtp.connect(m.smtpAddress.port);
  try {
    await c.hello();
    m.writer.holdParsing(true);
    for (let i = 0; i < BOUND; i++) assert.is((await c.send('a@example.org', [INBOX], mail(i))).code, 250, `message ${i}`);
    const refused = await c.send('a@example.org', [INBOX], mail(BOUND));
    assert.is(refused.code, 451);
    assert.match(refused.text, /^4\.3\.0 /);
    const other = await RawSmtp.connect(m.smtpAddress.port);
    try {
      await other.hello();
      assert.is((await other.send('b@example.org', [INBOX], mail(BOUND + 1))).code, 451);
    } finally {
      await other.quit();
    }
    assert.is(m.smtp.stats.backlogFull, 2);
    m.writer.holdParsing(false);
    await until(() => m.writer.pendingMessages === 0);
    assert.is((await c.send('a@example.org', [INBOX], mail(BOUND))).code, 250);
    await m.parseQueue.idle();
    // The refused messages left nothing behind: the three before and the retry.
    assert.is(m.store.messages.count(INBOX), BOUND + 1);
  } finally {
    await c.quit();
    await m.cleanup();
  }
});

test('shutdown with a held reply does not hang: the message is stored, 250, then 421', async () => {
  const m = await startTestMailroom(countOnly());
  const c = await RawSmtp.connect(m.smtpAddress.port);
  let stopped = false;
  try {
    await c.hello();
    m.writer.holdParsing(true);
    for (let i = 0; i < BOUND; i++) assert.is((await c.send('a@example.org', [INBOX], mail(i))).code, 250);
    const held = c.send('a@example.org', [INBOX], mail(BOUND));
    await until(() => m.smtp.stats.backlogHeld === 1);
    // Processing is still held: only the shutdown can decide this reply.
    const stopping = m.stop().then(() => (stopped = true));
    assert.is((await held).code, 250);
    assert.is((await c.reply()).code, 421);
    await stopping;
    assert.ok(stopped);
    assert.is(m.smtp.stats.backlogWaited, 1);
    assert.is(m.smtp.stats.accepted, BOUND + 1);
  } finally {
    await c.quit();
    await m.cleanup();
  }
});

test('smtp.maxPendingSeconds: the queue for the parse workers is bounded (its floor before a rate is measured); a held reply goes in as they take from it', async () => {
  const m = await startTestMailroom({ smtp: { maxPendingMessages: 5000, maxPendingSeconds: 0.25 } });
  const c = await RawSmtp.connect(m.smtpAddress.port);
  try {
    await c.hello();
    m.writer.holdParsing(true);
    const floor = BACKLOG_FLOOR_PER_WORKER * parsePoolSize();
    for (let i = 0; i < floor; i++) assert.is((await c.send('a@example.org', [INBOX], mail(i))).code, 250, `message ${i}`);
    assert.is(m.smtp.stats.backlogBound, floor);
    let phase = 'processing held';
    const held = watch(c.send('a@example.org', [INBOX], mail(floor)), () => phase);
    await until(() => m.smtp.stats.backlogHeld === 1);
    assert.is(held.reply, null);
    assert.is(m.smtp.stats.accepted, floor);
    phase = 'processing resumed';
    m.writer.holdParsing(false);
    assert.is((await held.done).code, 250);
    assert.is(held.when, 'processing resumed');
    await m.parseQueue.idle();
    assert.is(m.store.messages.count(INBOX), floor + 1);
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
    // More than the floor a time bound never goes below: only no bound at all lets them all in.
    const n = BACKLOG_FLOOR_PER_WORKER * parsePoolSize() + 5;
    for (let i = 0; i < n; i++) assert.is((await c.send('a@example.org', [INBOX], mail(i))).code, 250);
    assert.is(m.writer.pendingMessages, n);
    assert.is(m.smtp.stats.backlogBound, null);
    m.writer.holdParsing(false);
    await m.parseQueue.idle();
    assert.is(m.store.messages.count(INBOX), n);
  } finally {
    await c.quit();
    await m.cleanup();
  }
});

test.run();
