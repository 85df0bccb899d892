// The parse queue says when messages leave it for the parse workers (issue
// 16): the back-pressure bounds that queue (smtp.maxPendingSeconds), and a
// queue seen only through the ready notices, which come a deferred batch at
// a time, looked full while the workers had emptied it. Real store, real
// parse workers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { openStore } from '../../src/store/index.js';
import { ParseQueue } from '../../src/jobs/parse-queue.js';
import { createLogger } from '../../src/log.js';
import { tempDir } from '../helpers/temp.js';

test('onDispatch: told when queued messages go to the parse workers, not when an enqueued one goes straight on', async () => {
  const dir = tempDir();
  const store = openStore(dir);
  const seen: number[] = [];
  const queue = new ParseQueue(store.messages, store.committer, createLogger('silent'), undefined, { onDispatch: () => seen.push(queue.waiting) });
  try {
    const receive = (n: number) => {
      const raw = Buffer.from(`From: a@example.org\r\nTo: q@mailroom.test\r\nSubject: m${n}\r\n\r\nbody ${n}\r\n`);
      const ids = store.messages.insertReceived({ raw, mailFrom: 'a@example.org', recipients: [{ inbox: 'q@mailroom.test', original: 'q@mailroom.test', domain: 'mailroom.test' }], ip: '192.0.2.7', helo: 'x.example', tls: false, received: Date.now() });
      return { id: ids.contentId, raw };
    };
    // An idle queue hands a new message on at once: the queue never grew, nothing to tell.
    const first = receive(0);
    queue.enqueue(first.id, first.raw);
    assert.equal(seen, []);
    await queue.idle();
    // Held: messages wait in the queue; let go, they leave it, and it says so.
    queue.hold(true);
    for (let i = 1; i <= 6; i++) {
      const m = receive(i);
      queue.enqueue(m.id, m.raw);
    }
    assert.is(queue.waiting, 6);
    assert.equal(seen, []);
    queue.hold(false);
    assert.ok(seen.length >= 1, 'told when the held messages went to the workers');
    assert.ok(seen[0] < 6, `the queue it reports is shorter: ${seen[0]}`);
    await queue.idle();
    assert.is(queue.waiting, 0);
    assert.is(seen[seen.length - 1], 0, 'the last report: nothing queued');
    assert.is(queue.parsed, 7);
  } finally {
    await queue.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
