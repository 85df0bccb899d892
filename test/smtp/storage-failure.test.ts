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

test('bad-input 8 and 31: a full database (SQLITE_FULL) answers 452 4.3.1', async () => {
  const before = rowCounts();
  const pages = m.store.db.pragma('page_count', { simple: true }) as number;
  m.store.db.pragma(`max_page_count = ${pages}`);
  // Incompressible, so raw-source compression cannot make it fit.
  const r = await deliver('disk full', randomBytes(300_000).toString('base64'));
  m.store.db.pragma('max_page_count = 1073741823');
  assert.is(r.code, 452);
  assert.match(r.text, /^4\.3\.1/);
  assert.equal(rowCounts(), before);
});

test('after the failure clears, delivery works again', async () => {
  const r = await deliver('recovered');
  assert.is(r.code, 250);
  assert.is(m.store.messages.count('fail@mailroom.test'), 1);
});

test.run();
