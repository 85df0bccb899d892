// "250 means durable" (GUIDE, "Durability"; bad-inputs 9, 10, 32): kill -9
// while 16 clients send, then check every acknowledged message is complete.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { spawnMailroom } from '../helpers/child-process.js';
import { tempDir, testConfig } from '../helpers/mailroom.js';
import { openStore } from '../../src/store/index.js';
import { startMailroom } from '../../src/main.js';
import { silentLogger } from '../../src/log.js';
import { sqlValue, withDatabaseFile } from '../helpers/database-file.js';
import { openDatabase } from '../../src/store/db.js';
import { sentPart } from '../helpers/trace.js';

const CLIENTS = 16;

test('bad-inputs 9 and 10: kill -9 while 16 clients send: every message that got a 250 is there, complete; nothing half-stored', async () => {
  const dir = tempDir();
  const proc = await spawnMailroom(dir);
  const acked = new Map<string, string>(); // message id -> raw sent
  let attempted = 0;
  let stop = false;

  const client = async (n: number) => {
    let c: RawSmtp;
    try {
      c = await RawSmtp.connect(proc.smtpPort);
      await c.hello();
    } catch {
      return;
    }
    for (let i = 0; !stop; i++) {
      const raw = simpleMessage({ to: `k${n}@mailroom.test`, subject: `kill test ${n}-${i}`, body: `client ${n} message ${i} `.repeat(40) });
      attempted++;
      let r;
      try {
        r = await c.send('sender@example.org', [`k${n}@mailroom.test`], raw);
      } catch {
        return;
      }
      if (r.code !== 250) return;
      const id = r.text.match(/stored as (\S+)/)?.[1];
      assert.ok(id, `250 names the stored id: ${r.text}`);
      acked.set(id!, raw);
    }
  };
  const running = Array.from({ length: CLIENTS }, (_, n) => client(n));
  // Let some hundreds of messages through, then kill mid-stream.
  while (acked.size < 300) await new Promise((r) => setTimeout(r, 10));
  proc.child.kill('SIGKILL');
  const exit = await proc.exited;
  stop = true;
  await Promise.all(running);
  assert.is(exit.signal, 'SIGKILL');
  assert.ok(acked.size >= 300, `acknowledged ${acked.size} of ${attempted}`);

  const store = openStore(dir);
  try {
    // synchronous is per connection: openStore's connection comes from openDatabase, so check what it sets.
    const probe = openDatabase(store.file);
    try {
      assert.is(Number(probe.pragma('synchronous', { simple: true })), 2, 'synchronous is FULL after reopen');
    } finally {
      probe.close();
    }
    for (const [id, raw] of acked) {
      const m = store.messages.get(id);
      assert.ok(m, `acknowledged message ${id} survived`);
      assert.is(sentPart(store.messages.raw(m!.contentId)), raw, `message ${id} is complete, after our Received: field`);
    }
    const orphans = sqlValue(store, 'SELECT count(*) FROM contents c WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.content_id = c.id)');
    assert.is(orphans, 0, 'no content without its message entries');
    const dangling = sqlValue(store, 'SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM contents c WHERE c.id = m.content_id)');
    assert.is(dangling, 0, 'no message entry without its content');
  } finally {
    store.close();
  }

  // Restarting parses whatever the kill left unparsed.
  const restarted = await startMailroom(testConfig({}, dir), silentLogger());
  await restarted.parseQueue.idle();
  const states = withDatabaseFile(restarted.store, (db) => db.prepare(`SELECT parse_state, count(*) AS n FROM contents GROUP BY 1`).all()) as Array<{ parse_state: string; n: number }>;
  // ...and every acknowledged message becomes ready: listed, with its subject (issue 10).
  const notReady = withDatabaseFile(restarted.store, (db) => db.prepare(`SELECT count(*) FROM messages WHERE ready = 0`).pluck().get());
  const unlisted = [...acked.keys()].filter((id) => !restarted.store.messages.isReady(id));
  const health = (await (await fetch(`http://127.0.0.1:${restarted.httpAddress.port}/healthz`)).json()) as { pending: number };
  const inboxes = new Set([...acked.keys()].map((id) => restarted.store.messages.get(id)!.inbox));
  const listed = [...inboxes].reduce((n, inbox) => n + restarted.store.messages.count(inbox), 0);
  await restarted.stop();
  assert.equal(states.map((s) => s.parse_state), ['ok'], `every message parsed after restart: ${JSON.stringify(states)}`);
  assert.is(notReady, 0, 'every message ready after restart');
  assert.equal(unlisted, [], 'every acknowledged message is ready');
  assert.is(health.pending, 0, '/healthz: nothing pending');
  assert.ok(listed >= acked.size, `listed ${listed} of ${acked.size} acknowledged`);
  rmSync(dir, { recursive: true, force: true });
});

test('bad-input 32: SIGTERM during DATA lets the transaction finish with 250, then 421; the process exits 0', async () => {
  const dir = tempDir();
  const proc = await spawnMailroom(dir);
  const c = await RawSmtp.connect(proc.smtpPort);
  await c.hello();
  const idle = await RawSmtp.connect(proc.smtpPort);
  await idle.hello();
  await c.command('MAIL FROM:<x@example.org>');
  await c.command('RCPT TO:<term@mailroom.test>');
  assert.is((await c.command('DATA')).code, 354);
  const raw = simpleMessage({ to: 'term@mailroom.test', subject: 'in flight at SIGTERM' });
  c.write(raw.slice(0, 40));
  await new Promise((r) => setTimeout(r, 100));
  proc.child.kill('SIGTERM');
  // The idle session is told to go away at once.
  const idleReply = await idle.reply();
  assert.is(idleReply.code, 421);
  await new Promise((r) => setTimeout(r, 100));
  c.write(raw.slice(40) + '.\r\n');
  const done = await c.reply();
  assert.is(done.code, 250, `in-flight message accepted: ${done.code} ${done.text}`);
  const after = await c.reply();
  assert.is(after.code, 421, 'then the session is closed with 421');
  const exit = await proc.exited;
  assert.is(exit.code, 0, proc.output());
  await c.quit();
  await idle.quit();

  const store = openStore(dir);
  const [m] = store.messages.list('term@mailroom.test');
  assert.ok(m, 'the message acknowledged during shutdown is stored');
  assert.is(sentPart(store.messages.raw(m.contentId)), raw);
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test.run();
