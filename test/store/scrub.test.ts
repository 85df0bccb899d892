// The scrub after deletes (store/scrub.ts, issue 13 item 8): bursts of deletes
// coalesce into one scrub, a burst that never pauses is still scrubbed by the
// deadline, a WAL held by a reader is tried again, and a scrub leaves no byte
// of a deleted message in the database file or the WAL, including the search
// index's emptied segments that FTS5 secure-delete alone leaves behind.
import { sqlValue } from '../helpers/database-file.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ScrubScheduler, type ScrubResult } from '../../src/store/scrub.js';
import { openStore } from '../../src/store/index.js';
import { rawMessage, storeRaw } from '../api/_helpers.js';
import { tempDir } from '../helpers/temp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function counting(results: Array<Partial<ScrubResult>> = []) {
  const calls: number[] = [];
  const run = async (): Promise<ScrubResult> => {
    calls.push(Date.now());
    return { walTruncated: true, ms: 0, ...(results.shift() ?? {}) };
  };
  return { calls, run };
}

test('a burst of deletes is one scrub, after the quiet period', async () => {
  const c = counting();
  const s = new ScrubScheduler(c.run, { quietMs: 80, maxWaitMs: 5000 });
  for (let i = 0; i < 5; i++) {
    s.deleted();
    await sleep(20);
  }
  assert.is(c.calls.length, 0, 'not during the burst');
  assert.ok(s.pending);
  await sleep(200);
  assert.is(c.calls.length, 1);
  assert.not.ok(s.pending);
  await s.close();
});

test('deletes that never pause are scrubbed by the deadline', async () => {
  const c = counting();
  const s = new ScrubScheduler(c.run, { quietMs: 100, maxWaitMs: 250 });
  const started = Date.now();
  while (Date.now() - started < 600) {
    s.deleted();
    await sleep(30);
  }
  assert.ok(c.calls.length >= 2, `scrubbed ${c.calls.length} times during 600 ms of deletes every 30 ms`);
  assert.ok(c.calls[0]! - started < 600);
  await s.close();
});

test('a WAL held by a reader (or a failed scrub) is tried again', async () => {
  const c = counting([{ walTruncated: false }]);
  const seen: Array<ScrubResult | { error: Error }> = [];
  const s = new ScrubScheduler(c.run, { quietMs: 10, retryMs: 30, onScrub: (r) => seen.push(r) });
  s.deleted();
  await sleep(150);
  assert.is(c.calls.length, 2);
  assert.equal(seen.map((r) => ('error' in r ? 'error' : r.walTruncated)), [false, true]);
  assert.not.ok(s.pending);
  let fail = true;
  const s2 = new ScrubScheduler(async () => {
    if (fail) {
      fail = false;
      throw new Error('disk');
    }
    return { walTruncated: true, ms: 0 };
  }, { quietMs: 10, retryMs: 30 });
  s2.deleted();
  await sleep(150);
  assert.not.ok(s2.pending, 'retried after the error');
  await s.close();
  await s2.close();
});

test('close with flush runs the scrub still owed; without, none', async () => {
  const c = counting();
  const s = new ScrubScheduler(c.run, { quietMs: 10_000 });
  s.deleted();
  await s.close({ flush: true });
  assert.is(c.calls.length, 1);
  const c2 = counting();
  const s2 = new ScrubScheduler(c2.run, { quietMs: 10_000 });
  s2.deleted();
  await s2.close();
  s2.deleted();
  await sleep(20);
  assert.is(c2.calls.length, 0);
});

test('scrubOnce: a deleted message leaves no byte in the file or the WAL (its own search segment included)', async () => {
  const dir = tempDir();
  const store = openStore(dir);
  try {
    const marker = 'zq9scrubunitmarker';
    for (let i = 0; i < 20; i++) await storeRaw(store, rawMessage({ to: 'bg@mailroom.test', subject: `bg ${i}`, text: `other words ${i}` }), 'bg@mailroom.test');
    const { id } = await storeRaw(store, rawMessage({ to: 'x@mailroom.test', subject: `hi ${marker}`, text: `body ${marker}` }), 'x@mailroom.test');
    const scan = () => readdirSync(dir).filter((f) => readFileSync(path.join(dir, f)).includes(marker));
    assert.ok(scan().length > 0, 'the control');
    store.messages.delete(id);
    // A checkpoint alone leaves the marker in the search index's emptied segment.
    store.checkpoint();
    assert.equal(scan(), ['mailroom.db'], 'secure-delete alone leaves it');
    const r = await store.scrubDeleted();
    assert.ok(r.walTruncated);
    assert.equal(scan(), []);
    assert.is(sqlValue(store, `SELECT count(*) FROM message_fts WHERE message_fts MATCH 'bg'`), 20, 'the rest of the index is intact');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
