// What every CounterStore (rate-limit.ts) answers alike: run on memory by
// throttle-counters-memory.test.ts and on PostgreSQL by
// test/store/pg/throttle-counters.test.ts, so the throttles' rules hold
// whichever storage a node uses.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { FailureLimiter, LoginThrottle, type CounterStore } from '../../src/http/middleware/rate-limit.js';

const T0 = Date.UTC(2026, 0, 1);

export function counterStoreContract(test: Test, make: () => CounterStore): void {
  test('counters: a fixed window keeps its end, a sliding one moves it; expired counts start over; namespaces apart', async () => {
    const c = make();
    assert.equal(await c.increment('fixed', 'k', T0, 1000, false), { count: 1, until: T0 + 1000 });
    assert.equal(await c.increment('fixed', 'k', T0 + 500, 1000, false), { count: 2, until: T0 + 1000 });
    assert.equal(await c.increment('slide', 'k', T0, 1000, true), { count: 1, until: T0 + 1000 });
    assert.equal(await c.increment('slide', 'k', T0 + 500, 1000, true), { count: 2, until: T0 + 1500 });
    assert.equal(await c.get('fixed', 'k', T0 + 1000), { count: 2, until: T0 + 1000 }, 'live up to and including until');
    assert.is(await c.get('fixed', 'k', T0 + 1001), null, 'gone after until');
    assert.equal(await c.increment('fixed', 'k', T0 + 1001, 1000, false), { count: 1, until: T0 + 2001 }, 'an expired counter starts over');
    await c.delete('slide', 'k');
    assert.is(await c.get('slide', 'k', T0), null);
    assert.ok(await c.get('fixed', 'k', T0 + 1001), 'another namespace keeps its counter');
    await c.clear('fixed');
    assert.is(await c.get('fixed', 'k', T0 + 1001), null);
  });

  test('counters: the API key limiter and the login throttle keep their rules on this storage', async () => {
    const limiter = new FailureLimiter(make(), 3, 60_000, () => T0);
    await limiter.reset();
    for (let i = 0; i < 3; i++) {
      assert.not.ok(await limiter.blocked('198.51.100.1'));
      await limiter.fail('198.51.100.1');
    }
    assert.ok(await limiter.blocked('198.51.100.1'));
    assert.is(await limiter.retryAfterSeconds('198.51.100.1'), 60);
    assert.not.ok(await limiter.blocked('198.51.100.2'));

    const throttle = new LoginThrottle(make());
    await throttle.reset();
    let now = T0;
    throttle.now = () => now;
    const a = { account: 'alice', client: '198.51.100.3' };
    for (let i = 0; i < 5; i++) await throttle.failed(a);
    assert.is(await throttle.retryAfterSeconds(a), 1, 'five free failures, then 1 s');
    await throttle.failed(a);
    assert.is(await throttle.retryAfterSeconds(a), 2, 'doubling');
    now += 15 * 60_000 + 1;
    assert.is(await throttle.retryAfterSeconds(a), 0, 'forgotten 15 minutes after the last failure');
  });
}
