// The backlog gate's bound in time (issue 16, smtp/backlog-gate.ts): the
// processing rate measured from ready reports, times smtp.maxPendingSeconds,
// between a floor and smtp.maxPendingMessages; and who waits and who is let
// in. An injected clock: no real time passes, so nothing here is timed.
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

test('reports that the parse workers are starved raise the bound one by one; it fades once they are fed', () => {
  let pending = 32;
  const { g, clock } = gate({ pending: () => pending });
  const order: string[] = [];
  const go = (name: string) => (ok: boolean) => {
    order.push(name);
    if (ok) pending++;
  };
  g.admit(go('a'));
  g.admit(go('b'));
  g.admit(go('c'));
  // Nothing made ready, but nothing queued for a worker either: the bound must not starve processing.
  g.report(0, true);
  assert.equal(order, ['a']);
  assert.is(pending, 33);
  // A report of fed workers adds nothing; each starved one adds one more, not a flood.
  g.report(0, false);
  assert.equal(order, ['a']);
  g.report(0, true);
  assert.equal(order, ['a', 'b']);
  assert.is(g.bound(), 34);
  // Fed from here on: the addition fades (halved each second) back to the floor.
  clock.t += 10_000;
  assert.is(g.bound(), 32);
  // Never past smtp.maxPendingMessages.
  const capped = gate({ maxMessages: 10, pending: () => 10 });
  const seen: boolean[] = [];
  capped.g.admit((ok) => seen.push(ok));
  for (let i = 0; i < 20; i++) capped.g.report(0, true);
  assert.equal(seen, []);
  assert.is(capped.g.bound(), 10);
  capped.g.release();
  g.release();
});

test('a light load (workers always starved, backlog small) does not pile up the bound', () => {
  const { g } = gate({ pending: () => 3 });
  for (let i = 0; i < 1000; i++) g.report(1, true);
  assert.is(g.bound(), 32);
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
