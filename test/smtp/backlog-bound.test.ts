// The backlog gate's bounds (issue 16, smtp/backlog-gate.ts): the queue for
// the parse workers in time (the processing rate measured from ready
// reports, times smtp.maxPendingSeconds, between a floor and
// smtp.maxPendingMessages), the whole backlog by count; and who waits and
// who is let in. An injected clock: no real time passes, so nothing here is timed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BacklogGate, type BacklogGateOptions } from '../../src/smtp/backlog-gate.js';

function gate(o: Partial<BacklogGateOptions> & { pending?: () => number } = {}) {
  const clock = { t: 0 };
  const g = new BacklogGate({ maxMessages: 5000, maxSeconds: 0.5, maxWaitMs: 60_000, floor: 32, pending: () => 0, now: () => clock.t, ...o });
  /** `rate` messages made ready per second for `seconds`, reported every 10 ms. */
  const run = (rate: number, seconds: number) => {
    for (let i = 0; i < seconds * 100; i++) {
      clock.t += 10;
      g.report(rate / 100);
    }
  };
  return { g, clock, run };
}

test('smtp.maxPendingSeconds: the bound is the measured processing rate times the seconds', () => {
  const { g, run } = gate();
  // Nothing measured yet: the floor.
  assert.is(g.bound(), 32);
  run(1000, 5);
  assert.ok(Math.abs(g.processingRate - 1000) < 10, `rate ${g.processingRate}`);
  assert.ok(Math.abs(g.bound() - 500) <= 5, `bound ${g.bound()}`);
  // The rate follows a slower load down.
  run(200, 5);
  assert.ok(Math.abs(g.bound() - 100) <= 2, `bound ${g.bound()}`);
});

test('the bound never goes below the floor nor above smtp.maxPendingMessages', () => {
  const slow = gate();
  slow.run(10, 5); // 10/s × 0.5 s = 5, under the floor
  assert.is(slow.g.bound(), 32);
  const fast = gate({ maxMessages: 300 });
  fast.run(5000, 5); // 2,500 by time, over the cap
  assert.is(fast.g.bound(), 300);
  // maxPendingSeconds 0: the count alone.
  const countOnly = gate({ maxSeconds: 0 });
  countOnly.run(1000, 5);
  assert.is(countOnly.g.bound(), 5000);
});

test('processing stalled: the rate decays to 0 and the bound falls back to the floor, never to 0', () => {
  const { g, clock, run } = gate();
  run(1000, 5);
  assert.ok(g.bound() > 400);
  clock.t += 10_000; // no report for 10 s
  assert.is(g.bound(), 32);
});

test('under the floor nobody waits, even with no rate at all', () => {
  let pending = 31;
  const { g } = gate({ pending: () => pending });
  const seen: boolean[] = [];
  assert.is(g.admit((ok) => seen.push(ok)), null);
  assert.equal(seen, [true]);
  pending = 32;
  const w = g.admit((ok) => seen.push(ok));
  assert.ok(w, 'at the bound the reply is held');
  assert.is(g.held, 1);
  g.release();
});

test('waiters are let in first come, first served, a quarter of the bound at a time, as many as there is room for', () => {
  let pending = 32;
  const { g } = gate({ pending: () => pending });
  const order: string[] = [];
  // go(true) joins the backlog at once, as the store's ingest counts a message synchronously.
  const go = (name: string) => (ok: boolean) => {
    order.push(name);
    if (ok) pending++;
  };
  const names = 'abcdefghij'.split('');
  for (const n of names) g.admit(go(n));
  assert.is(g.held, 10);
  // One message made ready: not yet a quarter of the bound (8) below it, so they share a later commit.
  pending--;
  g.report(1);
  assert.equal(order, []);
  // A quarter below: as many as there is room for, in order.
  pending = 24;
  g.report(1);
  assert.equal(order, names.slice(0, 8));
  assert.is(pending, 32);
  // Room while others wait: a newcomer queues behind them.
  pending = 0;
  g.admit(go('k'));
  assert.equal(order, [...names, 'k']);
  assert.is(g.held, 0);
  assert.is(g.waited, 11);
});

test('smtp.maxPendingSeconds bounds the queue for the parse workers, not what they hold or what waits for its commit', () => {
  let pending = 200;
  let queued = 0;
  const { g } = gate({ pending: () => pending, queued: () => queued });
  const order: string[] = [];
  const go = (name: string) => (ok: boolean) => {
    order.push(name);
    if (ok) {
      pending++;
      queued++;
    }
  };
  // 200 in the workers or waiting for their commit, none queued: the workers could take more, so no wait.
  assert.is(g.admit(go('a')), null);
  assert.equal(order, ['a']);
  // A queue at the bound (the floor, 32, with no rate measured): held, however small the backlog behind it.
  queued = 32;
  assert.ok(g.admit(go('b')));
  assert.equal(order, ['a']);
  // The workers take from the queue: room for a quarter of the bound, and the held reply goes in.
  queued = 24;
  g.report(0);
  assert.equal(order, ['a', 'b']);
  assert.is(g.held, 0);
});

test('smtp.maxPendingMessages still caps the whole backlog, whatever the queue', () => {
  let pending = 50;
  const { g } = gate({ maxMessages: 50, pending: () => pending, queued: () => 0 });
  const seen: boolean[] = [];
  assert.ok(g.admit((ok) => seen.push(ok)), 'at the cap the reply is held though nothing is queued');
  pending = 49;
  g.report(1);
  assert.equal(seen, [], 'let in only a quarter of the cap at a time');
  pending = 37;
  g.report(1);
  assert.equal(seen, [true]);
});

test('a cancelled waiter (the sender went away) is never let in', () => {
  let pending = 32;
  const { g } = gate({ pending: () => pending });
  const order: string[] = [];
  const w = g.admit((ok) => order.push(`a:${ok}`))!;
  g.admit((ok) => order.push(`b:${ok}`));
  g.cancel(w);
  pending = 0;
  g.report(1);
  assert.equal(order, ['b:true']);
});

test('after release (shutdown) every message is let in at once', () => {
  const { g } = gate({ pending: () => 10_000 });
  g.release();
  const seen: boolean[] = [];
  assert.is(g.admit((ok) => seen.push(ok)), null);
  assert.equal(seen, [true]);
});

test.run();
