// `mailroom reparse` (issue 10 part 2): failed messages parsed again with a
// budget the admin chooses; the walls still hold with a small budget.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { runCli, UsageError } from '../../src/cli/main.js';
import { unparsedMessage } from '../../src/mail/parse.js';
import { startApiMailroom, sendMail, type TestMailroom } from '../api/_helpers.js';

async function cli(m: TestMailroom, argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await runCli(argv, { store: m.store, config: m.config }, { out: (s) => out.push(s), err: () => {}, stdin: async () => '' });
  return { code, out: out.join('\n') };
}

/** Marks a stored message as a failed parse, as a wall would have. */
function markFailed(m: TestMailroom, id: string): number {
  const msg = m.store.messages.get(id)!;
  m.store.messages.applyParse(msg.contentId, unparsedMessage(m.store.messages.raw(msg.contentId)!, 'parsing took too long'));
  assert.is(m.store.messages.get(id)!.parseState, 'failed');
  return msg.contentId;
}

test('reparse --all-failed restores subject, text and search of messages that hit a wall', async () => {
  const m = await startApiMailroom();
  try {
    await sendMail(m, { to: 'again@mailroom.test', subject: 'second chance', text: 'the word is pangolin' });
    const [msg] = m.store.messages.list('again@mailroom.test');
    markFailed(m, msg!.id);
    const r = await cli(m, ['reparse', '--all-failed', '--time-limit-ms', '60000', '--memory-mb', '1024']);
    assert.is(r.code, 0);
    assert.match(r.out, /reparsed 1: 1 ok, 0 still failed/);
    const after = m.store.messages.get(msg!.id)!;
    assert.is(after.parseState, 'ok');
    assert.is(after.subject, 'second chance');
    assert.match(m.store.messages.body(after.contentId)!.text, /pangolin/);
  } finally {
    await m.cleanup();
  }
});

test('reparse --id with a tiny time limit: the message stays failed, flagged, and the command ends', async () => {
  const m = await startApiMailroom();
  try {
    await sendMail(m, {
      to: 'walls@mailroom.test',
      subject: 'heavy',
      text: 'big attachment',
      attachments: [{ filename: 'blob.bin', content: randomBytes(4 * 1024 * 1024) }],
    });
    const [msg] = m.store.messages.list('walls@mailroom.test');
    markFailed(m, msg!.id);
    const r = await cli(m, ['reparse', '--id', msg!.id, '--time-limit-ms', '1']);
    assert.is(r.code, 0);
    assert.match(r.out, /failed: parsing took too long/);
    const after = m.store.messages.get(msg!.id)!;
    assert.is(after.parseState, 'failed');
    // Still flagged with its headers: the reader sees who sent what.
    assert.is(after.subject, 'heavy');
  } finally {
    await m.cleanup();
  }
});

test('reparse needs --all-failed or --id, and a positive budget', async () => {
  const m = await startApiMailroom();
  try {
    for (const argv of [['reparse'], ['reparse', '--all-failed', '--time-limit-ms', '0'], ['reparse', '--all-failed', '--memory-mb', 'lots']]) {
      let usage = false;
      try {
        await cli(m, argv);
      } catch (err) {
        usage = err instanceof UsageError;
      }
      assert.ok(usage, argv.join(' '));
    }
  } finally {
    await m.cleanup();
  }
});

test.run();
