// The webhook sender on PostgreSQL (issue 14): two nodes, each with its own
// pool and its own WebhookQueue on pgDeliveryQueue, send from one shared
// queue to a real HTTP receiver on 127.0.0.1. Each delivery must arrive
// exactly once (no row claimed by both nodes), both nodes must have sent
// some, and the table and activity log must say so. The deliveries are
// queued by PgMessageWriter in the commit that makes each message ready, as
// receiving does. The payload is read through PgMessageReader by id:
// messagePayload's full Mailsac JSON is webhooks.test.ts's subject (it needs
// the synchronous store until json.ts's savedBy reads through the reader).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { postgresForTests } from '../helpers/postgres.js';
import { testConfig } from '../helpers/mailroom.js';
import { startReceiver, until } from './_helpers.js';
import { incoming } from '../store/pg/_incoming.js';
import { PgMessageWriter } from '../../src/store/pg/message-writer.js';
import { PgMessageReader } from '../../src/store/pg/message-reader.js';
import { pgDeliveryQueue } from '../../src/store/pg/delivery-queue.js';
import { pgBillpushRepositories } from '../../src/store/pg/billpush-repositories.js';
import { WebhookQueue } from '../../src/push/webhook-queue.js';
import { verifySignature } from '../../src/push/signature.js';
import { parseMessage } from '../../src/mail/parse.js';
import { silentLogger } from '../../src/log.js';
import type { Sql } from '../../src/store/pg/driver.js';

const pg = await postgresForTests(test);

if (pg) {
  const admin = pg.pool({ max: 2 });
  const writer = new PgMessageWriter(pg.pool({ max: 2 }));
  test.after(async () => {
    await writer.close();
    await pg.drop();
  });

  /** One node: its own pool, reader and queue. */
  function node(port: number): WebhookQueue {
    const sql: Sql = pg!.pool({ max: 4 });
    const reader = new PgMessageReader(sql);
    return new WebhookQueue({
      config: testConfig({ webhooks: { allowPrivateNetworks: true, allowedPorts: [port], timeoutMs: 2000 } }),
      deliveries: pgDeliveryQueue(sql),
      payload: async (id) => {
        const m = await reader.get(id);
        return m ? { _id: m.id, inbox: m.inbox, subject: m.subject } : null;
      },
      log: silentLogger(),
    });
  }

  test('two nodes sending from one queue: every delivery reaches the receiver exactly once, signed, and both nodes send', async () => {
    const receiver = await startReceiver();
    // A little latency, so both nodes have attempts in flight at once.
    receiver.answer = (_r, res) => void setTimeout(() => res.end('ok'), 15);
    const [{ id: userId }] = await admin<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES ('hooked', 0, 0) RETURNING id`;
    const count = 48;
    const addresses = Array.from({ length: count }, (_, i) => `hook${i}@mailroom.test`);
    for (const a of addresses) {
      await admin`INSERT INTO addresses (address, owner_id, webhook, created, updated) VALUES (${a}, ${userId}, ${`${receiver.url}/hook`}, 0, 0)`;
    }
    for (const a of addresses) {
      const msg = incoming({ to: [a], subject: `for ${a}` });
      const ids = await writer.ingest(msg);
      const done = writer.applyParse(ids.contentId, await parseMessage(msg.raw));
      writer.flushDeferredSoon();
      await done;
    }
    const queued = await admin<{ id: number; message_id: string }[]>`SELECT id, message_id FROM webhook_deliveries ORDER BY id`;
    assert.is(queued.length, count, 'one delivery per ready copy');

    const a = node(receiver.port);
    const b = node(receiver.port);
    a.start();
    b.start();
    try {
      await until(() => a.delivered + b.delivered === count, 30_000, 'every delivery to be sent');
      // Past the last one: a duplicate would arrive now.
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await Promise.all([a.close(), b.close()]);
      await receiver.close();
    }

    const sent = receiver.requests.map((r) => Number(r.headers['mailroom-delivery']));
    assert.is(sent.length, count, 'no delivery sent twice');
    assert.equal([...sent].sort((x, y) => x - y), queued.map((q) => q.id));
    assert.ok(a.delivered > 0 && b.delivered > 0, `both nodes sent (${a.delivered} and ${b.delivered})`);
    assert.is(a.failedAttempts + b.failedAttempts, 0);
    const secret = await pgBillpushRepositories(admin).webhooks.secretFor(userId);
    for (const r of receiver.requests) {
      assert.ok(verifySignature(secret, String(r.headers['mailroom-signature']), r.body), 'signed with the account secret');
      const body = JSON.parse(r.body);
      const q = queued.find((x) => x.id === Number(r.headers['mailroom-delivery']))!;
      assert.is(body._id, q.message_id);
      assert.is(body.subject, `for ${body.inbox}`);
      assert.is(r.headers['mailroom-attempt'], '1');
    }
    const states = await admin<{ state: string; attempts: number; n: number }[]>`SELECT state, attempts, count(*)::int AS n FROM webhook_deliveries GROUP BY state, attempts`;
    assert.equal([...states], [{ state: 'delivered', attempts: 1, n: count }]);
    const lines = await admin<{ delivery_id: number; status: number; attempt: number }[]>`SELECT delivery_id, status, attempt FROM webhook_activity ORDER BY delivery_id`;
    assert.equal(
      lines.map((l) => [l.delivery_id, l.status, l.attempt]),
      queued.map((q) => [q.id, 200, 1]),
    );
  });

  test('a delivery erased while its attempt is in flight logs no line (settle finds no row)', async () => {
    const receiver = await startReceiver();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    receiver.answer = (_r, res) => void held.then(() => res.end('ok'));
    const [{ id: userId }] = await admin<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES ('erased', 0, 0) RETURNING id`;
    await admin`INSERT INTO addresses (address, owner_id, webhook, created, updated) VALUES ('gone@mailroom.test', ${userId}, ${`${receiver.url}/hook`}, 0, 0)`;
    const msg = incoming({ to: ['gone@mailroom.test'] });
    const ids = await writer.ingest(msg);
    const done = writer.applyParse(ids.contentId, await parseMessage(msg.raw));
    writer.flushDeferredSoon();
    await done;
    const q = node(receiver.port);
    const arrived = receiver.nextRequest();
    q.start();
    try {
      await arrived;
      assert.equal(await pgBillpushRepositories(admin).webhooks.forget({ address: 'gone@mailroom.test' }), { deliveries: 1, activity: 0 });
      release();
      await until(() => q.delivered === 1, 10_000, 'the attempt to end');
    } finally {
      await q.close();
      await receiver.close();
    }
    const [{ n }] = await admin<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_activity WHERE address = 'gone@mailroom.test'`;
    assert.is(n, 0);
  });
}

test.run();
