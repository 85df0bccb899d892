// A batch of parse results adds ONE segment to the search index, not one per
// message (issue 16, run S): FTS5 writes its pending terms out at every
// statement savepoint, and applyParse once opened two per message (an
// INSERT ... SELECT into the index, a multi-row UPDATE of messages.ready),
// so a deferred batch of 64 made 64 segments for FTS5 to merge. Also: the
// messages are searchable and ready afterwards, and a re-parse replaces its
// index row instead of adding a second.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore, type Store } from '../../src/store/index.js';
import { parseMessage } from '../../src/mail/parse.js';
import { tempDir } from '../helpers/temp.js';

const N = 24;
let dir = '';
let store: Store;
let probe: Database.Database;

test.before(() => {
  dir = tempDir();
  store = openStore(dir);
  probe = new Database(path.join(dir, 'mailroom.db'));
  // Merging would hide how many segments were written: counted with it off.
  probe.exec(`INSERT INTO message_fts (message_fts, rank) VALUES ('automerge', 0)`);
  probe.exec(`INSERT INTO message_fts (message_fts, rank) VALUES ('crisismerge', 100000)`);
});
test.after(() => {
  probe.close();
  store.close();
});

/** Segments of the index: rowids of message_fts_data above the structure record carry the segment id from bit 37 up (fts5 FTS5_SEGMENT_ROWID). */
const segments = () => probe.prepare(`SELECT count(DISTINCT rowid >> 37) FROM message_fts_data WHERE rowid > 10`).pluck().get() as number;

const raw = (i: number) =>
  Buffer.from(`From: Sender ${i} <s${i}@example.org>\r\nTo: box${i}@mailroom.test\r\nSubject: batchword${i} common\r\n\r\nbody of message ${i}\r\n`);

test('a deferred batch of parse results writes one index segment; every message is searchable and ready', async () => {
  const ids = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      store.committer.submit(() =>
        store.messages.insertReceived({
          raw: raw(i),
          mailFrom: `s${i}@example.org`,
          recipients: [{ inbox: `box${i}@mailroom.test`, original: `box${i}@mailroom.test`, domain: 'mailroom.test' }],
          ip: '127.0.0.1',
          helo: 'client.example',
          tls: false,
          received: Date.now(),
        }),
      ),
    ),
  );
  const parsed = await Promise.all(ids.map((_, i) => parseMessage(raw(i))));
  const before = segments();
  const done = Promise.all(ids.map((s, i) => store.committer.submitDeferred(() => store.messages.applyParse(s.contentId, parsed[i]!))));
  store.committer.flushDeferredSoon();
  const copies = await done;
  assert.is(segments() - before, 1, 'one segment for the whole batch');
  assert.equal(copies.map((c) => c.copies.length), Array(N).fill(1));
  assert.is(store.queries.search({ kind: 'all' }, 'common', { limit: 100 }).length, N);
  for (let i = 0; i < N; i++) {
    assert.is(store.queries.search({ kind: 'all' }, `batchword${i}`).length, 1, `message ${i} found by its subject`);
    assert.is(store.messages.isReady(ids[i]!.messageIds[0]!), true, `message ${i} ready`);
  }
  // The envelope sender is in the address column, as before.
  assert.is(store.queries.search({ kind: 'all' }, 's3@example.org').length, 1);

  // A re-parse (state 'ok' now) replaces the index row: still one match, with the new words.
  const again = { ...parsed[0]!, subject: 'reparsedword' };
  await store.committer.submitDeferred(() => store.messages.applyParse(ids[0]!.contentId, again));
  assert.is(store.queries.search({ kind: 'all' }, 'reparsedword').length, 1);
  assert.is(store.queries.search({ kind: 'all' }, 'batchword0').length, 0, 'the old index row is gone');
  assert.is(store.queries.search({ kind: 'all' }, 'common', { limit: 100 }).length, N - 1, 'the re-parsed subject no longer says common');
});

test('a parse result for a content deleted meanwhile stores nothing and tells nobody', async () => {
  const s = await store.committer.submit(() =>
    store.messages.insertReceived({
      raw: raw(99),
      mailFrom: 's99@example.org',
      recipients: [{ inbox: 'gone@mailroom.test', original: 'gone@mailroom.test', domain: 'mailroom.test' }],
      ip: '127.0.0.1',
      helo: 'client.example',
      tls: false,
      received: Date.now(),
    }),
  );
  assert.ok(store.messages.delete(s.messageIds[0]!));
  const parsed = await parseMessage(raw(99));
  const result = await store.committer.submitDeferred(() => store.messages.applyParse(s.contentId, parsed));
  assert.equal(result.copies, []);
  assert.is(store.queries.search({ kind: 'all' }, 'batchword99').length, 0, 'no index row for a deleted message');
});

test.run();
