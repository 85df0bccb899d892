// Retention and erasure on PostgreSQL (issue 14): the shared retention cases
// (../retention-cases.ts) give the same survivors as on SQLite; two nodes'
// schedulers firing at once prune once; the eraser deletes in batches with
// the content, attachments and unshared blobs going with the last copy; the
// records retention prunes (audit, logins, sessions, throttle counters).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { postgresForTests } from '../../helpers/postgres.js';
import { retentionCases } from '../retention-cases.js';
import { pruneWith } from '../../../src/jobs/retention.js';
import { RetentionScheduler } from '../../../src/jobs/scheduler.js';
import { pgRetention, pgRetentionRunner, pgPruneRecords, pgPruneWebhookHistory } from '../../../src/store/pg/retention.js';
import { deleteMessageBatch } from '../../../src/store/pg/delete-messages.js';
import { PgEraser } from '../../../src/store/pg/eraser.js';
import { silentLogger } from '../../../src/log.js';
import { testConfig } from '../../helpers/mailroom.js';
import { H, NOW, OFF } from '../../helpers/retention-store.js';
import type { Sql } from '../../../src/store/pg/driver.js';

const pg = await postgresForTests(test);

if (pg) {
  const sql = pg.pool({ max: 4 });
  test.after(() => pg.drop());

  const reset = () =>
    sql`TRUNCATE messages, attachments, blobs, contents, addresses, account_domains, sessions, audit_log, throttle_counters, job_runs, webhook_deliveries, webhook_activity, users CASCADE`;

  /** One content with a copy per inbox (as one SMTP transaction to several recipients), attachments by blob sha; the copies' ids. */
  const store = async (db: Sql, inboxes: string[], received: number, blobs: string[] = []): Promise<string[]> => {
    const raw = Buffer.from(`Subject: t\r\n\r\nbody ${randomBytes(4).toString('hex')}\r\n`);
    const [{ id: contentId }] = await db<{ id: number }[]>`INSERT INTO contents (received, size, raw, sha256, mail_from, rcpt_to)
      VALUES (${received}, ${raw.length}, ${raw}, ${createHash('sha256').update(raw).digest('hex')}, 'a@example.org', ${JSON.stringify(inboxes)}) RETURNING id`;
    for (const [idx, sha] of blobs.entries()) {
      await db`INSERT INTO blobs (sha256, md5, size, data) VALUES (${sha}, 'md5', 3, ${Buffer.from('abc')}) ON CONFLICT DO NOTHING`;
      await db`INSERT INTO attachments (content_id, idx, sha256, md5, size) VALUES (${contentId}, ${idx}, ${sha}, 'md5', 3)`;
    }
    const ids: string[] = [];
    for (const inbox of inboxes) {
      const id = randomBytes(8).toString('hex');
      await db`INSERT INTO messages (id, content_id, inbox, original_inbox, domain, received, ready)
        VALUES (${id}, ${contentId}, ${inbox}, ${inbox}, ${inbox.split('@')[1]!}, ${received}, true)`;
      ids.push(id);
    }
    return ids;
  };
  const count = async (table: string) => (await sql.unsafe(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n as number;

  retentionCases(test, {
    reset: async () => {
      await reset();
    },
    async user(name) {
      const [{ id }] = await sql<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES (${name}, 0, 0) RETURNING id`;
      return id;
    },
    async reserve(address, ownerId) {
      await sql`INSERT INTO addresses (address, owner_id, created, updated) VALUES (${address}, ${ownerId}, 0, 0)`;
    },
    async domain(domain, ownerId, isPrivate) {
      await sql`INSERT INTO account_domains (domain, owner_id, token, verified, is_private, created, updated) VALUES (${domain}, ${ownerId}, 't', 1, ${isPrivate}, 0, 0)`;
    },
    async put(inbox, received, savedBy) {
      const [id] = await store(sql, [inbox], received);
      if (savedBy !== undefined) await sql`UPDATE messages SET starred = true, saved_by = ${savedBy} WHERE id = ${id!}`;
      return id!;
    },
    prune: (policy, now) => pruneWith(pgRetention(sql), policy, now),
    async alive(ids) {
      const rows = await sql<{ id: string }[]>`SELECT id FROM messages WHERE id = ANY(${ids}::text[])`;
      const found = new Set(rows.map((r) => r.id));
      return ids.filter((id) => found.has(id));
    },
  });

  test('two nodes whose schedules fire at once prune once; a node ticking after that run ended skips it too; a manual run still runs', async () => {
    await reset();
    const old: string[] = [];
    // Enough to take a few batches, so both ticks meet while the first run holds the lock.
    for (let i = 0; i < 60; i++) old.push(...(await store(sql, [`old${i % 5}@mailroom.test`], Date.now() - 200 * H + i)));
    const config = testConfig({ retention: { schedule: '*/10 * * * *', public: { maxAgeHours: 96 }, batchSize: 5 } as never });
    const node = (db: Sql) => new RetentionScheduler({ config, runner: pgRetentionRunner(db), log: silentLogger() });
    const [a, b] = [node(pg.pool({ max: 2 })), node(pg.pool({ max: 2 }))];
    const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
    const ran = [ra, rb].filter((r) => r !== null);
    assert.is(ran.length, 1, 'one node ran the scheduled prune');
    assert.is(ran[0]!.publicAge, 60);
    assert.is(a.runs + b.runs, 1);
    assert.is(a.skipped + b.skipped, 1);
    assert.is(await count('messages'), 0);

    // A third node's tick, late: the run it would make already happened this interval.
    await store(sql, ['late@mailroom.test'], Date.now() - 200 * H);
    const c = node(pg.pool({ max: 2 }));
    assert.is(await c.tick(), null, 'the late tick skips the run another node made');
    assert.is(await count('messages'), 1);
    const manual = await c.runNow();
    assert.is(manual?.publicAge, 1, 'a manual run is not refused');
    for (const s of [a, b, c]) await s.stop();
  });

  test('the eraser: an inbox with keepStarred, then a domain, in batches; the content and its unshared blobs go with the last copy', async () => {
    await reset();
    const [shared, sharedOther] = await store(sql, ['x@one.test', 'y@two.test'], NOW, ['blob-shared']);
    const plain: string[] = [];
    for (let i = 0; i < 7; i++) plain.push(...(await store(sql, ['x@one.test'], NOW + i, [`blob-${i}`, 'blob-shared'])));
    const [starred] = await store(sql, ['x@one.test'], NOW, ['blob-starred']);
    await sql`UPDATE messages SET starred = true WHERE id = ${starred!}`;
    await store(sql, ['z@one.test'], NOW);
    const eraser = new PgEraser(sql, { batchSize: 3 });
    try {
      assert.is(await eraser.deleteMessages({ kind: 'inbox', inbox: 'x@one.test', keepStarred: true }), 8);
      const left = (await sql<{ id: string }[]>`SELECT id FROM messages ORDER BY seq`).map((r) => r.id);
      assert.ok(left.includes(starred!) && left.includes(sharedOther!) && !left.includes(shared!), 'starred and the other copy stay');
      assert.is(await count('contents'), 3, "the shared content, the starred one and z's");
      const blobs = (await sql<{ sha256: string }[]>`SELECT sha256 FROM blobs ORDER BY sha256`).map((r) => r.sha256);
      assert.equal(blobs, ['blob-shared', 'blob-starred'], 'blobs only the deleted copies held are gone');

      assert.is(await eraser.deleteMessages({ kind: 'domain', domain: 'one.test' }), 2, 'the starred one and z');
      assert.is(await eraser.deleteMessages({ kind: 'inbox', inbox: 'y@two.test' }), 1);
      for (const t of ['messages', 'contents', 'attachments', 'blobs']) assert.is(await count(t), 0, t);
      assert.equal(await eraser.scrub(), { walTruncated: true });
      const vacuumed = await sql<{ relname: string }[]>`SELECT relname FROM pg_stat_user_tables
        WHERE relname IN ('messages', 'contents', 'attachments', 'blobs') AND last_vacuum IS NOT NULL ORDER BY relname`;
      assert.equal(vacuumed.map((r) => r.relname), ['attachments', 'blobs', 'contents', 'messages'], 'the scrub vacuumed the message tables');
    } finally {
      await eraser.close();
    }
  });

  test('the eraser owes a VACUUM after a delete and runs it by itself within the scrub delay', async () => {
    await reset();
    await store(sql, ['soon@one.test'], NOW);
    let scrubbed!: (r: unknown) => void;
    const done = new Promise((resolve) => (scrubbed = resolve));
    const eraser = new PgEraser(sql, { onScrub: (r) => scrubbed(r) });
    try {
      const before = await sql<{ n: number }[]>`SELECT coalesce(vacuum_count, 0)::int AS n FROM pg_stat_user_tables WHERE relname = 'contents'`;
      assert.is(await eraser.deleteMessages({ kind: 'inbox', inbox: 'soon@one.test' }), 1);
      const r = (await done) as { walTruncated?: boolean; error?: Error };
      assert.is(r.error, undefined);
      assert.is(r.walTruncated, true);
      const after = await sql<{ n: number }[]>`SELECT coalesce(vacuum_count, 0)::int AS n FROM pg_stat_user_tables WHERE relname = 'contents'`;
      assert.ok(after[0]!.n > before[0]!.n, 'contents was vacuumed');
    } finally {
      await eraser.close();
    }
  });

  test('two nodes deleting the last two copies of a content at once: the content and its blob go, nothing deadlocks', async () => {
    await reset();
    const [nodeA, nodeB] = [pg.pool({ max: 2 }), pg.pool({ max: 2 })];
    const pairs: string[][] = [];
    for (let i = 0; i < 20; i++) pairs.push(await store(sql, [`a${i}@race.test`, `b${i}@race.test`], NOW + i, [`race-${i}`, 'race-shared']));
    // Overlapping batches in opposite orders on the two nodes.
    const [na, nb] = await Promise.all([
      deleteMessageBatch(nodeA, pairs.map((p) => p[0]!)),
      deleteMessageBatch(nodeB, pairs.map((p) => p[1]!).reverse()),
    ]);
    assert.is(na + nb, 40);
    for (const t of ['messages', 'contents', 'attachments', 'blobs']) assert.is(await count(t), 0, t);
    assert.is(await deleteMessageBatch(nodeA, pairs[0]!), 0, 'deleting again finds nothing');
  });

  test('disk budget: past high water the oldest unstarred public mail goes until the stored bytes are below low water, and no further', async () => {
    await reset();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(...(await store(sql, [`disk${i % 3}@mailroom.test`], NOW - (10 - i) * H)));
    const [{ id: owner }] = await sql<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES ('disk', 0, 0) RETURNING id`;
    await sql`UPDATE messages SET starred = true, saved_by = ${owner} WHERE id = ${ids[0]!}`;
    const engine = pgRetention(sql);
    const before = await engine.rows.usedBytes();
    assert.ok(before > 0);
    // High water 80% of a budget the store is at 85% of; low water 50%: a bit over 4 of the 10 equal messages must go.
    const max = Math.ceil(before / 0.85);
    const r = await pruneWith(engine, { ...OFF, batchSize: 1, maxDatabaseBytes: max, diskHighWater: 0.8, diskLowWater: 0.5 }, NOW);
    const after = await engine.rows.usedBytes();
    assert.ok(after <= max * 0.5, `below low water: ${after} of ${max}`);
    const left = new Set((await sql<{ id: string }[]>`SELECT id FROM messages`).map((m) => m.id));
    assert.is(r.diskBudget, 10 - left.size);
    assert.ok(left.has(ids[0]!), 'starred public mail is not taken by the disk rule');
    assert.equal(ids.filter((id) => left.has(id)), [ids[0]!, ...ids.slice(10 - (left.size - 1))], 'the oldest went, the newest stay');
    assert.ok(left.size >= 5, 'it stopped once below low water');
  });

  test('webhook history: finished deliveries and activity older than the cutoff go, pending deliveries stay', async () => {
    await reset();
    const [{ id: u }] = await sql<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES ('hooks', 0, 0) RETURNING id`;
    await sql`INSERT INTO webhook_deliveries (user_id, address, message_id, url, created, next_at, state) VALUES
      (${u}, 'a@x.test', 'm1', 'https://h.test', ${NOW - 10}, 0, 'done'),
      (${u}, 'a@x.test', 'm2', 'https://h.test', ${NOW - 10}, 0, 'pending'),
      (${u}, 'a@x.test', 'm3', 'https://h.test', ${NOW + 10}, 0, 'failed')`;
    await sql`INSERT INTO webhook_activity (delivery_id, user_id, address, message_id, url, at, attempt, latency_ms) VALUES
      (1, ${u}, 'a@x.test', 'm1', 'https://h.test', ${NOW - 10}, 1, 5), (2, ${u}, 'a@x.test', 'm3', 'https://h.test', ${NOW + 10}, 1, 5)`;
    assert.equal(await pgPruneWebhookHistory(sql, NOW), { deliveries: 1, activity: 1 });
    assert.equal((await sql<{ message_id: string }[]>`SELECT message_id FROM webhook_deliveries ORDER BY message_id`).map((r) => r.message_id), ['m2', 'm3']);
  });

  test('records: audit entries and login records past their days, expired sessions and throttle counters', async () => {
    await reset();
    const day = 86_400_000;
    const [{ id: u }] = await sql<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES ('rec', 0, 0) RETURNING id`;
    await sql`INSERT INTO audit_log (at, actor, action) VALUES (${NOW - 20 * day}, 'a', 'export'), (${NOW - 5 * day}, 'a', 'export'), (${NOW - 3 * day}, 'a', 'login'), (${NOW - day / 2}, 'a', 'login')`;
    await sql`INSERT INTO sessions (hash, user_id, created, expires, last_seen) VALUES ('s1', ${u}, 0, ${NOW - 1}, 0), ('s2', ${u}, 0, ${NOW + day}, 0)`;
    await sql`INSERT INTO throttle_counters (key, count, until) VALUES ('gone', 3, ${NOW - 1}), ('kept', 3, ${NOW + 1000})`;
    assert.equal(await pgPruneRecords(sql, NOW, 13, 2), { audit: 1, logins: 1, sessions: 1 });
    assert.is(await count('audit_log'), 2);
    assert.equal((await sql<{ key: string }[]>`SELECT key FROM throttle_counters`).map((r) => r.key), ['kept']);
    // Through the rules too: the records step runs with every mail rule off.
    await sql`INSERT INTO audit_log (at, actor, action) VALUES (${NOW - 20 * day}, 'a', 'export')`;
    const r = await pruneWith(pgRetention(sql), { ...OFF, auditLogDays: 13, loginRecordDays: 2 }, NOW);
    assert.is(r.auditEntries, 1);
  });
}

test.run();
