// The throttles' counters on PostgreSQL (issue 14): the CounterStore
// contract, and two nodes (two pools) guarding passwords and API keys with
// one budget: failures on either count against both, counted atomically.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { postgresForTests } from '../../helpers/postgres.js';
import { PgCounterStore } from '../../../src/store/pg/throttle-counters.js';
import { FailureLimiter, LoginThrottle } from '../../../src/http/middleware/rate-limit.js';
import { counterStoreContract } from '../../auth/throttle-counters-contract.js';

const pg = await postgresForTests(test);

if (pg) {
  const shared = pg.pool({ max: 2 });
  test.after(() => pg.drop());
  counterStoreContract(test, () => new PgCounterStore(shared));

  test('two nodes share one API key budget per client and one login budget per account', async () => {
    const [a, b] = [new PgCounterStore(pg.pool({ max: 4 })), new PgCounterStore(pg.pool({ max: 4 }))];
    const now = Date.now();
    const keysA = new FailureLimiter(a, 4, 60_000, () => now);
    const keysB = new FailureLimiter(b, 4, 60_000, () => now);
    await keysA.fail('203.0.113.9');
    await keysB.fail('203.0.113.9');
    await keysA.fail('203.0.113.9');
    assert.not.ok(await keysB.blocked('203.0.113.9'), 'three of four');
    await keysB.fail('203.0.113.9');
    assert.ok(await keysA.blocked('203.0.113.9'), "node A refuses after node B's failure filled the budget");
    assert.ok(await keysB.blocked('203.0.113.9'));

    const loginA = new LoginThrottle(a);
    const loginB = new LoginThrottle(b);
    loginA.now = loginB.now = () => now;
    const attempt = { account: 'admin', client: '203.0.113.10' };
    for (let i = 0; i < 5; i++) await (i % 2 ? loginA : loginB).failed(attempt);
    assert.is(await loginA.retryAfterSeconds(attempt), 1, 'five failures over two nodes use up the free ones');
    assert.is(await loginB.retryAfterSeconds(attempt), 1);
    await loginB.succeeded(attempt);
    assert.is(await loginA.retryAfterSeconds(attempt), 0, "a sign-in on B clears the account's counters on A too");
  });

  test('failures counted at once on two nodes are all counted', async () => {
    const [a, b] = [new PgCounterStore(pg.pool({ max: 4 })), new PgCounterStore(pg.pool({ max: 4 }))];
    const now = Date.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).increment('race', 'k', now, 60_000, true)));
    assert.is((await a.get('race', 'k', now))?.count, 40);
    // Whatever a guesser types, the key is stored fixed-size (a hash), so a 100 kB "account name" is counted too.
    const long = 'x'.repeat(100_000);
    assert.is((await a.increment('login-account', long, now, 60_000, true)).count, 1);
    const [{ n }] = await shared<{ n: number }[]>`SELECT count(*)::int AS n FROM throttle_counters WHERE length(key) > 200`;
    assert.is(n, 0);
  });
}

test.run();
