// bad-input 8: when the commit fails the client gets a temporary error with
// generic text, never a 250, and no half-written row remains.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { startTestMailroom } from '../helpers/mailroom.js';

type M = Awaited<ReturnType<typeof startTestMailroom>>;
let m: M;

test.before(async () => {
  m = await startTestMailroom();
});
test.after(async () => {
  await m.cleanup();
});

function rowCounts(): number[] {
  return ['contents', 'messages', 'attachments', 'blobs'].map((t) => m.store.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number);
}

async function deliver(subject: string, body = 'x') {
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.hello();
  const r = await c.send('x@example.org', ['fail@mailroom.test', 'fail2@mailroom.test'], simpleMessage({ to: 'x', subject, body }));
  await c.quit();
  return r;
}

test('bad-input 8: an I/O-class failure during the commit answers 451 4.3.0 with generic text', async () => {
  const before = rowCounts();
  // Fails the second insert of the transaction, after the content row was written.
  m.store.db.exec(`CREATE TRIGGER fail_insert BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'simulated disk I/O error at /secret/path'); END;`);
  const r = await deliver('io failure');
  m.store.db.exec('DROP TRIGGER fail_insert');
  assert.is(r.code, 451);
  assert.match(r.text, /^4\.3\.0/);
  assert.not.match(r.text, /secret|simulated|SQLITE/i, 'internal error text is not shown to the client');
  assert.equal(rowCounts(), before, 'no half-stored message');
  assert.is(m.smtp.stats.storageErrors, 1);
});

test('after the failure clears, delivery works again', async () => {
  const r = await deliver('recovered');
  assert.is(r.code, 250);
  assert.is(m.store.messages.countAll('fail@mailroom.test'), 1);
});

test('bad-input 8: at storage.maxDatabaseBytes a write fails with SQLITE_FULL and answers 452 4.3.1; nothing partial', async () => {
  const full = await startTestMailroom({ storage: { maxDatabaseBytes: 1_500_000 } as never });
  try {
    const codes: number[] = [];
    let last = { code: 0, text: '' };
    for (let i = 0; i < 8 && last.code !== 452; i++) {
      const c = await RawSmtp.connect(full.smtpAddress.port);
      await c.hello();
      // Incompressible, so raw-source compression cannot make it fit.
      last = await c.send('x@example.org', ['big@mailroom.test'], simpleMessage({ to: 'x', subject: `fill ${i}`, body: randomBytes(300_000).toString('base64') }));
      codes.push(last.code);
      await c.quit();
    }
    assert.is(last.code, 452, `answers: ${codes.join(',')}`);
    assert.match(last.text, /^4\.3\.1/);
    const stored = codes.filter((c) => c === 250).length;
    assert.is(full.store.messages.countAll('big@mailroom.test'), stored, 'only the acknowledged messages are stored');
    assert.is(full.store.db.prepare('SELECT count(*) FROM contents').pluck().get(), stored);
  } finally {
    await full.cleanup();
  }
});

test.run();
