// `mailroom backup` while mail arrives, and a fresh Mailroom started on the
// copy serves the same messages (issue 5: backup and restore).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { startTestMailroom } from '../helpers/mailroom.js';
import { tempDir } from '../helpers/temp.js';
import { sentPart } from '../helpers/trace.js';
import { runCli } from '../../src/cli/main.js';

test('an online backup taken during delivery restores into a fresh Mailroom with the same messages', async () => {
  const m = await startTestMailroom();
  const sent = new Map<string, string>();
  const deliver = async (tag: string, n: number) => {
    const c = await RawSmtp.connect(m.smtpAddress.port);
    await c.hello();
    for (let i = 0; i < n; i++) {
      const raw = simpleMessage({ to: 'keep@mailroom.test', subject: `${tag} ${i}`, body: `backup body ${tag} ${i}` });
      const r = await c.send('x@example.org', ['keep@mailroom.test'], raw);
      assert.is(r.code, 250);
      sent.set(r.text.match(/stored as (\S+)/)![1], raw);
    }
    await c.quit();
  };
  const file = path.join(tempDir(), 'backup.sqlite');
  const restoreDir = tempDir();
  try {
    await deliver('before', 40);
    await m.parseQueue.idle();
    const before = new Map(sent);
    const out: string[] = [];
    const err: string[] = [];
    // Mail keeps arriving while the backup runs.
    const [code] = await Promise.all([
      runCli(['backup', file], { store: m.store, config: m.config }, { out: (s) => out.push(s), err: (s) => err.push(s), stdin: async () => '' }),
      deliver('during', 40),
    ]);
    assert.is(code, 0);
    assert.match(out.join('\n'), /wrote/);
    assert.match(err.join('\n'), /backup 100%/);
    assert.not.ok(existsSync(`${file}.partial`));

    copyFileSync(file, path.join(restoreDir, 'mailroom.db'));
    const restored = await startTestMailroom({ storage: { dataDir: restoreDir } as never });
    try {
      const list = (await (await fetch(`${restored.http}/api/addresses/keep@mailroom.test/messages?limit=1000`)).json()) as Array<{ _id: string; subject: string }>;
      const ids = new Set(list.map((x) => x._id));
      for (const [id, raw] of before) {
        assert.ok(ids.has(id), `message ${id} from before the backup is in the restored store`);
        const res = await fetch(`${restored.http}/api/raw/keep@mailroom.test/${id}`);
        assert.is(res.status, 200);
        assert.is(sentPart(Buffer.from(await res.arrayBuffer())), raw, 'the raw source is what was sent, after our Received: field');
      }
      assert.ok(list.some((x) => x.subject === 'before 0'));
    } finally {
      await restored.cleanup();
    }
  } finally {
    await m.cleanup();
  }
});

test('backup without a file name is a usage error', async () => {
  const m = await startTestMailroom();
  try {
    let threw = false;
    try {
      await runCli(['backup'], { store: m.store, config: m.config }, { out: () => {}, err: () => {}, stdin: async () => '' });
    } catch (e) {
      threw = (e as Error).constructor.name === 'UsageError';
    }
    assert.ok(threw);
  } finally {
    await m.cleanup();
  }
});

test.run();
