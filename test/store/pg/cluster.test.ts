// Shared work across nodes on PostgreSQL (issue 14): a job such as retention
// runs on one node at a time and is freed when that node dies; webhook
// deliveries are claimed by exactly one node each.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { postgresForTests } from '../../helpers/postgres.js';
import { runOnOneNode } from '../../../src/store/pg/cluster-lock.js';
import { claimDueDeliveries } from '../../../src/store/pg/webhook-claims.js';

const pg = await postgresForTests(test);

if (pg) {
  test.after(() => pg.drop());
  const nodeA = pg.pool({ max: 3 });
  const nodeB = pg.pool({ max: 3 });

  test('a job runs on one node at a time: the other skips its turn, and runs once the first is done', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let startedA!: () => void;
    const runningA = new Promise<void>((r) => (startedA = r));
    const onA = runOnOneNode(nodeA, 'retention', async () => {
      startedA();
      await gate;
      return 'a';
    });
    await runningA;
    assert.equal(await runOnOneNode(nodeB, 'retention', async () => 'b'), { ran: false });
    assert.equal(await runOnOneNode(nodeB, 'billing-grace', async () => 'other job'), { ran: true, value: 'other job' }, 'another job is not held back');
    release();
    assert.equal(await onA, { ran: true, value: 'a' });
    assert.equal(await runOnOneNode(nodeB, 'retention', async () => 'b'), { ran: true, value: 'b' });
  });

  test('a node that dies while running a job frees it for the others', async () => {
    let startedA!: () => void;
    const runningA = new Promise<void>((r) => (startedA = r));
    const onA = runOnOneNode(nodeA, 'retention', async () => {
      startedA();
      await new Promise(() => {}); // never finishes: the node is about to die
    }).catch(() => {});
    await runningA;
    assert.equal(await runOnOneNode(nodeB, 'retention', async () => 'b'), { ran: false });
    // Its connection goes away, as with kill -9 or a lost network.
    await nodeB`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()`;
    let ranB: Awaited<ReturnType<typeof runOnOneNode<string>>> = { ran: false };
    while (!ranB.ran) ranB = await runOnOneNode(nodeB, 'retention', async () => 'b');
    assert.equal(ranB, { ran: true, value: 'b' });
    void onA;
  });

  test('two nodes claiming due webhook deliveries at once take each delivery exactly once', async () => {
    const [{ id: user }] = await nodeA<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES ('hooks', 0, 0) RETURNING id`;
    const rows = Array.from({ length: 60 }, (_, i) => ({ user_id: user, address: 'a@mailroom.test', message_id: `m${i}`, url: 'https://h.example/', created: 0, next_at: i }));
    await nodeA`INSERT INTO webhook_deliveries ${nodeA(rows, 'user_id', 'address', 'message_id', 'url', 'created', 'next_at')}`;
    await nodeA`INSERT INTO webhook_deliveries (user_id, address, message_id, url, created, next_at) VALUES (${user}, 'a@mailroom.test', 'later', 'https://h.example/', 0, 1e9)`;
    const now = 1000;
    const takenBy = async (sql: typeof nodeA) => {
      const mine: string[] = [];
      for (;;) {
        const batch = await claimDueDeliveries(sql, now, 7, now + 60_000);
        if (!batch.length) return mine;
        for (const d of batch) {
          assert.is(d.attempts, 1);
          assert.is(d.nextAt, now + 60_000, 'leased');
        }
        mine.push(...batch.map((d) => d.messageId));
      }
    };
    const [a, b] = await Promise.all([takenBy(nodeA), takenBy(nodeB)]);
    const all = [...a, ...b];
    assert.is(new Set(all).size, all.length, 'no delivery taken twice');
    assert.equal(new Set(all), new Set(rows.map((r) => r.message_id)), 'every due delivery taken; the one not due yet left');
    assert.equal(await claimDueDeliveries(nodeB, now + 59_000, 100, now + 120_000), [], 'leased rows are not due again before the lease ends');
    assert.is((await claimDueDeliveries(nodeB, now + 60_000, 100, now + 120_000)).length, 60, 'after it, a node that died mid-attempt leaves them to the others');
  });
}

test.run();
