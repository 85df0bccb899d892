// The MessageReader contract (../message-reader-contract.ts) on the
// PostgreSQL engine: messages written by PgMessageWriter (ingest, then
// applyParse), read through PgMessageReader on another pool, as another
// node would read them.
import { test } from 'uvu';
import { postgresForTests } from '../../helpers/postgres.js';
import { PgMessageWriter } from '../../../src/store/pg/message-writer.js';
import { PgMessageReader } from '../../../src/store/pg/message-reader.js';
import { messageReaderContract } from '../message-reader-contract.js';
import { parseMessage } from '../../../src/mail/parse.js';
import { incoming } from './_incoming.js';
import * as assert from 'uvu/assert';

const pg = await postgresForTests(test);

if (pg) {
  const writerPool = pg.pool();
  const writer = new PgMessageWriter(writerPool);
  test.after(async () => {
    await writer.close();
    await pg.drop();
  });
  messageReaderContract(test, {
    reader: new PgMessageReader(pg.pool({ max: 4 })),
    receive: (msg) => writer.ingest(msg),
    process: async (contentId, parsed, bodyZ, rawZ) => {
      const done = writer.applyParse(contentId, parsed, bodyZ, rawZ);
      writer.flushDeferredSoon();
      await done;
    },
    createUser: async (username) => {
      const [{ id }] = await writerPool<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES (${username}, 0, 0) RETURNING id`;
      return id;
    },
    reserve: async (address, ownerId) => {
      await writerPool`INSERT INTO addresses (address, owner_id, created, updated) VALUES (${address}, ${ownerId}, 0, 0)`;
    },
  });

  test('deleting the last message holding an attachment while another node stores the same attachment: the delete succeeds and the blob stays', async () => {
    const node = new PgMessageReader(pg.pool({ max: 2 }));
    const raw = Buffer.from(
      [
        'From: a@example.org',
        'To: blobrace@mailroom.test',
        'Subject: blob race',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'text',
        '--b',
        'Content-Type: application/octet-stream',
        'Content-Disposition: attachment; filename="race.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('bytes two messages share').toString('base64'),
        '--b--',
        '',
      ].join('\r\n'),
    );
    const msg = incoming({ to: ['blobrace@mailroom.test'], raw });
    const first = await writer.ingest(msg);
    const parsed = await parseMessage(raw);
    const done = writer.applyParse(first.contentId, parsed);
    writer.flushDeferredSoon();
    await done;
    const second = await writer.ingest(incoming({ to: ['blobrace@mailroom.test'], raw }));
    const a = parsed.attachments[0]!;
    // The other node's processing transaction, held open after it wrote the attachment row.
    const other = pg.pool({ max: 1 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let written!: () => void;
    const wrote = new Promise<void>((r) => (written = r));
    const storing = other.begin(async (tx) => {
      await tx`INSERT INTO blobs (sha256, md5, size, data) VALUES (${a.sha256}, ${a.md5}, ${a.size}, ${a.content}) ON CONFLICT DO NOTHING`;
      await tx`INSERT INTO attachments (content_id, idx, sha256, md5, filename, content_type, size) VALUES (${second.contentId}, 0, ${a.sha256}, ${a.md5}, 'race.bin', 'application/octet-stream', ${a.size})`;
      written();
      await held;
    });
    await wrote;
    const deleting = node.delete(first.messageIds[0]!);
    // Until the delete waits on the other transaction's lock on the blob.
    for (;;) {
      const [{ waiting }] = await writerPool<{ waiting: number }[]>`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      if (waiting > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    release();
    await storing;
    assert.is(await deleting, true);
    assert.is((await node.attachmentData(a.sha256))?.toString(), 'bytes two messages share');
    assert.is(await node.raw(first.contentId), null, 'the deleted message is gone');
    await other.end();
  });

  test("a local part's search reads the inbox pattern index (migration 004), not every message", async () => {
    const conn = await writerPool.reserve();
    try {
      await conn`SET enable_seqscan = off`;
      const plan = await conn.unsafe(`EXPLAIN SELECT m.id FROM messages m WHERE m.inbox LIKE 'zebra@%' AND m.ready`);
      assert.match(plan.map((r) => Object.values(r)[0]).join('\n'), /messages_inbox_pattern/);
    } finally {
      conn.release();
    }
  });

  test('two nodes deleting the two copies of a message at once: the content goes with the last copy, whichever node removes it', async () => {
    const nodeA = new PgMessageReader(pg.pool({ max: 2 }));
    const nodeB = new PgMessageReader(pg.pool({ max: 2 }));
    for (let round = 0; round < 20; round++) {
      const msg = incoming({ to: [`race${round}a@mailroom.test`, `race${round}b@mailroom.test`], subject: `race ${round}` });
      const ids = await writer.ingest(msg);
      const done = writer.applyParse(ids.contentId, await parseMessage(msg.raw));
      writer.flushDeferredSoon();
      await done;
      const deleted = await Promise.all([nodeA.delete(ids.messageIds[0]!), nodeB.delete(ids.messageIds[1]!)]);
      assert.equal(deleted, [true, true]);
      const [{ n }] = await writerPool<{ n: number }[]>`SELECT count(*)::int AS n FROM contents WHERE id = ${ids.contentId}`;
      assert.is(n, 0, `round ${round}: no content left without a copy`);
    }
  });
}

test.run();
