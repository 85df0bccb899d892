// The PostgreSQL message writer (issue 14) keeps the SQLite engine's write
// contract: a message is durable and readable by any connection once
// ingest() resolves (the 250), concurrent messages share commits, one bad
// message does not fail its neighbours, and the processing result makes the
// message ready in one transaction.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inflateRawSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { postgresForTests } from '../../helpers/postgres.js';
import { PgMessageWriter } from '../../../src/store/pg/message-writer.js';
import { openPool } from '../../../src/store/pg/driver.js';
import { parseMessage } from '../../../src/mail/parse.js';
import { decodeBody } from '../../../src/store/body-codec.js';
import { incoming } from './_incoming.js';

const pg = await postgresForTests(test);

if (pg) {
  test.after(() => pg.drop());
  const writerPool = pg.pool();
  // Another "node": its own connections, which see only what was committed.
  const reader = pg.pool({ max: 2 });

  test('every connection of the pool commits with synchronous_commit on', async () => {
    const settings = await Promise.all([1, 2, 3].map(() => writerPool<{ s: string }[]>`SELECT current_setting('synchronous_commit') AS s`));
    assert.equal(settings.map((r) => r[0].s), ['on', 'on', 'on']);
  });

  test('a stored message is committed when ingest resolves: another connection reads its raw bytes and one copy per inbox', async () => {
    const writer = new PgMessageWriter(writerPool);
    const msg = incoming({ to: ['Alice@Mailroom.test', 'alice@mailroom.test', 'bob@mailroom.test'], body: 'x'.repeat(4000) });
    const original = Buffer.from(msg.raw);
    const ids = await writer.ingest(msg);
    assert.is(ids.messageIds.length, 2, 'the same inbox twice is one copy');
    const [c] = await reader<{ raw: Buffer; raw_encoding: string; size: number; parse_state: string; rcpt_to: string; sha256: string }[]>`
      SELECT raw, raw_encoding, size, parse_state, rcpt_to, sha256 FROM contents WHERE id = ${ids.contentId}`;
    assert.is(c.sha256, createHash('sha256').update(original).digest('hex'));
    assert.is(c.raw_encoding, 'deflate', 'compressed in the database (body-codec.ts encodeRaw)');
    assert.ok(c.raw.length < original.length);
    assert.ok(inflateRawSync(c.raw).equals(original));
    assert.is(c.size, original.length);
    assert.is(c.parse_state, 'pending');
    assert.equal(JSON.parse(c.rcpt_to), ['Alice@Mailroom.test', 'alice@mailroom.test', 'bob@mailroom.test']);
    const copies = await reader<{ id: string; inbox: string; ready: boolean }[]>`SELECT id, inbox, ready FROM messages WHERE content_id = ${ids.contentId} ORDER BY seq`;
    assert.equal(copies.map((r) => [r.id, r.inbox, r.ready]), [
      [ids.messageIds[0], 'alice@mailroom.test', false],
      [ids.messageIds[1], 'bob@mailroom.test', false],
    ]);
    await writer.close();
  });

  test('concurrent messages share commits: 64 at once take fewer commits than messages, counted by transaction id', async () => {
    const writer = new PgMessageWriter(writerPool);
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => writer.ingest(incoming({ to: [`group${i}@mailroom.test`], subject: `g${i}` }))));
    const contentIds = results.map((r) => r.contentId);
    assert.is(new Set(contentIds).size, 64);
    // Rows written by one transaction share its xmin: the number of distinct
    // xmins is the number of commits that stored these messages.
    const [{ commits }] = await reader<{ commits: number }[]>`
      SELECT count(DISTINCT xmin::text)::int AS commits FROM contents WHERE id IN ${reader(contentIds)}`;
    assert.is(commits, writer.stats.commits, 'the writer counts the commits the database saw');
    assert.ok(commits < 64, `64 messages in ${commits} commits`);
    assert.ok(writer.stats.maxBatch > 1);
    await writer.close();
  });

  test('a message the database refuses fails alone; the others in its batch are stored', async () => {
    const writer = new PgMessageWriter(writerPool);
    // Past bigint: this insert fails inside the shared batch (SQLSTATE 22003).
    const bad = { ...incoming(), received: 1e300 };
    const outcomes = await Promise.allSettled([
      writer.ingest(incoming({ subject: 'before' })),
      writer.ingest(bad),
      writer.ingest(incoming({ subject: 'after' })),
    ]);
    assert.equal(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    const stored = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<{ contentId: number }>).value.contentId);
    const [{ n }] = await reader<{ n: number }[]>`SELECT count(*)::int AS n FROM contents WHERE id IN ${reader(stored)}`;
    assert.is(n, 2);
    await writer.close();
  });

  test('when the database does not answer, every message of the batch is refused with the connection error', async () => {
    const nowhere = openPool('postgres://postgres@127.0.0.1:1/none', { max: 2 });
    const writer = new PgMessageWriter(nowhere);
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => writer.ingest(incoming({ subject: `lost ${i}` }))));
    assert.equal(outcomes.map((o) => o.status), Array(8).fill('rejected'));
    for (const o of outcomes) assert.is(((o as PromiseRejectedResult).reason as { code: string }).code, 'ECONNREFUSED');
    assert.is(writer.stats.commits, 0);
    await nowhere.end({ timeout: 1 });
  });

  test('the processing result makes the message ready in the same transaction, with its body, attachment and webhook delivery', async () => {
    const writer = new PgMessageWriter(writerPool);
    const [{ id: owner }] = await writerPool<{ id: number }[]>`
      INSERT INTO users (username, created, updated) VALUES ('hookowner', 0, 0) RETURNING id`;
    await writerPool`INSERT INTO addresses (address, owner_id, webhook, created, updated) VALUES ('hooked@mailroom.test', ${owner}, 'https://hooks.example/in', 0, 0)`;
    // An own domain's webhook (SQLite migration 015): once per message, under *@domain; its Slack URL is the address's webhook URL but another kind.
    await writerPool`INSERT INTO account_domains (domain, owner_id, token, verified, webhook, webhook_slack, created, updated)
      VALUES ('own.example', ${owner}, 't', 1, 'https://hooks.example/domain', 'https://hooks.example/in', 0, 0)`;
    await writerPool`INSERT INTO account_domains (domain, owner_id, token, verified, webhook, created, updated)
      VALUES ('unverified.example', ${owner}, 't', NULL, 'https://hooks.example/never', 0, 0)`;
    const raw = Buffer.from(
      [
        'From: Carol <carol@example.org>',
        'To: hooked@mailroom.test',
        'Subject: with attachment',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'the body text',
        '--b',
        'Content-Type: application/octet-stream',
        'Content-Disposition: attachment; filename="a.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('attachment bytes').toString('base64'),
        '--b--',
        '',
      ].join('\r\n'),
    );
    const ids = await writer.ingest(incoming({ to: ['hooked@mailroom.test', 'other@mailroom.test', 'a@own.example', 'b@own.example', 'x@unverified.example'], raw }));
    const parsed = await parseMessage(raw);
    const ready = await writer.applyParse(ids.contentId, parsed);
    assert.equal(ready.copies.map((c) => c.id), ids.messageIds);
    assert.equal(ready.copies.map((c) => c.inbox), ['hooked@mailroom.test', 'other@mailroom.test', 'a@own.example', 'b@own.example', 'x@unverified.example']);
    const [c] = await reader<{ parse_state: string; subject: string; body_z: Buffer; n_ready: number; n_att: number; blob: Buffer }[]>`
      SELECT parse_state, subject, body_z,
        (SELECT count(*)::int FROM messages WHERE content_id = c.id AND ready) AS n_ready,
        (SELECT count(*)::int FROM attachments WHERE content_id = c.id) AS n_att,
        (SELECT b.data FROM attachments a JOIN blobs b USING (sha256) WHERE a.content_id = c.id) AS blob
      FROM contents c WHERE id = ${ids.contentId}`;
    assert.is(c.parse_state, 'ok');
    assert.is(c.subject, 'with attachment');
    assert.match(decodeBody(c.body_z).text, /the body text/);
    assert.is(c.n_ready, 5);
    assert.is(c.n_att, 1);
    assert.is(c.blob.toString(), 'attachment bytes');
    const hooks = await reader<{ address: string; message_id: string; kind: string; url: string }[]>`SELECT address, message_id, kind, url FROM webhook_deliveries ORDER BY id`;
    assert.equal(hooks.map((h) => [h.address, h.message_id, h.kind, h.url]), [
      ['hooked@mailroom.test', ids.messageIds[0], 'webhook', 'https://hooks.example/in'],
      ['*@own.example', ids.messageIds[2], 'webhook', 'https://hooks.example/domain'],
      ['*@own.example', ids.messageIds[2], 'slack', 'https://hooks.example/in'],
    ]);
    await writer.close();
  });

  test('NUL in a subject, an envelope sender or an attachment name does not keep a message from being stored and ready', async () => {
    const writer = new PgMessageWriter(writerPool);
    const msg = incoming({ mailFrom: 'nul\u0000@example.org' });
    const ids = await writer.ingest(msg);
    const parsed = await parseMessage(msg.raw);
    parsed.subject = 'a\u0000b';
    parsed.attachments = [{ ...parsed.attachments[0], filename: 'x\u0000.txt', contentType: 'text/plain', cid: '', inline: false, size: 1, md5: 'm', sha256: 'nul-test', content: Buffer.from('x') } as (typeof parsed.attachments)[number]];
    const ready = await writer.applyParse(ids.contentId, parsed);
    assert.is(ready.copies.length, 1);
    const [row] = await reader<{ subject: string; mail_from: string; filename: string }[]>`
      SELECT c.subject, c.mail_from, a.filename FROM contents c JOIN attachments a ON a.content_id = c.id WHERE c.id = ${ids.contentId}`;
    assert.equal({ ...row }, { subject: 'a\uFFFDb', mail_from: 'nul\uFFFD@example.org', filename: 'x\uFFFD.txt' });
    await writer.close();
  });

  test('a large message stored as received is replaced by its deflated form with the processing result', async () => {
    const writer = new PgMessageWriter(writerPool);
    const msg = incoming({ body: 'large line of text\r\n'.repeat(2000) });
    const original = Buffer.from(msg.raw);
    const ids = await writer.ingest(msg);
    const [before] = await reader<{ raw_encoding: string }[]>`SELECT raw_encoding FROM contents WHERE id = ${ids.contentId}`;
    assert.is(before.raw_encoding, 'identity', 'over RAW_DEFLATE_INLINE_MAX: not compressed before the 250');
    const { deflateRawSync } = await import('node:zlib');
    await writer.applyParse(ids.contentId, await parseMessage(original), undefined, deflateRawSync(original));
    const [after] = await reader<{ raw: Buffer; raw_encoding: string }[]>`SELECT raw, raw_encoding FROM contents WHERE id = ${ids.contentId}`;
    assert.is(after.raw_encoding, 'deflate');
    assert.ok(inflateRawSync(after.raw).equals(original));
    await writer.close();
  });

  test('a result for a message deleted meanwhile stores nothing and tells nobody', async () => {
    const writer = new PgMessageWriter(writerPool);
    const msg = incoming({ subject: 'gone' });
    const ids = await writer.ingest(msg);
    await writerPool`DELETE FROM messages WHERE content_id = ${ids.contentId}`;
    await writerPool`DELETE FROM contents WHERE id = ${ids.contentId}`;
    const ready = await writer.applyParse(ids.contentId, await parseMessage(msg.raw));
    assert.equal(ready.copies, []);
    const [{ n }] = await reader<{ n: number }[]>`SELECT count(*)::int AS n FROM attachments WHERE content_id = ${ids.contentId}`;
    assert.is(n, 0);
    await writer.close();
  });
}

test.run();
