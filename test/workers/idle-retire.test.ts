// Idle workers exit (issue 16, RSS): a walled pool given idleMs ends a worker
// that has had no job for that long, down to keepIdle, and the next job starts
// one again. Real worker threads, with a short idle time injected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WalledPool } from '../../src/workers/walled-pool.js';
import { createRenderPool } from '../../src/services/message-bodies.js';
import { createParsePool, DEFAULT_PARSE_BUDGET, parseInWalls } from '../../src/jobs/parse-pool.js';
import type { TestJob } from './test-worker.js';

const entry = new URL('./test-worker.ts', import.meta.url);

/** Waits (bounded) until the pool runs `n` workers; returns how many it ran last. */
async function workersReach(pool: { workers: number }, n: number, withinMs = 20_000): Promise<number> {
  const end = Date.now() + withinMs;
  while (pool.workers !== n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return pool.workers;
}

function pool(size: number, keepIdle?: number) {
  return new WalledPool<TestJob, string>({
    entry,
    size,
    timeLimitMs: 10_000,
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
    maxOutputBytes: 1024 * 1024,
    idleMs: 100,
    keepIdle,
  });
}

test('an idle worker exits, and the next job starts one and is answered', async () => {
  const p = pool(1);
  try {
    assert.is(await p.run({ kind: 'echo', value: 'one' }), 'one');
    assert.is(p.workers, 1);
    assert.is(await workersReach(p, 0), 0);
    assert.is(p.stats.retired, 1);
    assert.is(await p.run({ kind: 'echo', value: 'two' }), 'two');
    assert.is(p.stats.failed, 0, 'a retirement is not a failure');
  } finally {
    await p.close();
  }
});

test('warm() loads the kept worker before any job: the first job finds it ready; warmed extras retire', async () => {
  const p = pool(3, 1);
  try {
    await p.warm();
    assert.is(p.workers, 1);
    assert.is(p.pending, 0);
    // The job goes to the loaded worker: no second one boots for it.
    assert.is(await p.run({ kind: 'echo', value: 'first' }), 'first');
    assert.is(p.workers, 1);
    await p.warm(3);
    // Three were loaded (with idleMs 100 ms, an early one may already have retired).
    assert.is(p.workers + p.stats.retired, 3);
    assert.is(await workersReach(p, 1), 1, 'warmed workers past keepIdle retire when idle');
    assert.is(p.stats.retired, 2);
    assert.is(p.stats.failed, 0);
  } finally {
    await p.close();
  }
});

test('keepIdle workers stay: a pool that grew under a burst shrinks back to them', async () => {
  const p = pool(3, 1);
  try {
    // Three jobs at once, no worker yet: one worker boots per waiting job.
    const out = await Promise.all(['a', 'b', 'c'].map((value) => p.run({ kind: 'echo', value })));
    assert.equal(out, ['a', 'b', 'c']);
    assert.ok(p.stats.retired === 0);
    assert.is(await workersReach(p, 1), 1);
    // It stays at one: give the remaining worker's timer time to run out too.
    await new Promise((r) => setTimeout(r, 400));
    assert.is(p.workers, 1);
    assert.is(p.stats.retired, 2);
    assert.is(await p.run({ kind: 'echo', value: 'd' }), 'd');
  } finally {
    await p.close();
  }
});

test('a worker with a job is never retired, however long the job runs', async () => {
  const p = pool(1);
  try {
    assert.is(await p.run({ kind: 'wait', ms: 500 }), 'waited');
    assert.is(p.stats.retired, 0);
    assert.is(p.stats.failed, 0);
  } finally {
    await p.close();
  }
});

test('the render pool: its worker exits when idle, and the next view is sanitized as before', async () => {
  const p = createRenderPool(1, 10_000, 100);
  const ref = { body: { text: '', html: '<p onclick="steal()">hello</p><script>alert(1)</script>', headers: [] as Array<[string, string]> } };
  try {
    const first = await p.run({ kind: 'sanitize', ref, cidUrls: [], allowRemote: false });
    assert.is(await workersReach(p, 0), 0);
    const second = await p.run({ kind: 'sanitize', ref, cidUrls: [], allowRemote: false });
    assert.is(second.body, first.body);
    assert.ok(second.body.includes('hello'));
    assert.not.ok(/script|onclick/i.test(second.body), second.body);
  } finally {
    await p.close();
  }
});

test('the parse pool shrinks to one worker after a burst, and parses the next message', async () => {
  const p = createParsePool(DEFAULT_PARSE_BUDGET, 2, 100);
  const raw = (n: number) => Buffer.from(`From: a@example.com\r\nTo: b@mailroom.test\r\nSubject: burst ${n}\r\n\r\nbody ${n}\r\n`);
  try {
    const burst = await Promise.all([1, 2, 3, 4].map((n) => parseInWalls(p, raw(n))));
    assert.equal(burst.map((o) => o.parsed.subject), ['burst 1', 'burst 2', 'burst 3', 'burst 4']);
    assert.is(await workersReach(p, 1), 1);
    await new Promise((r) => setTimeout(r, 400));
    assert.is(p.workers, 1, 'one worker stays for the next message');
    const next = await parseInWalls(p, raw(5));
    assert.ok(next.parsed.ok);
    assert.is(next.parsed.subject, 'burst 5');
  } finally {
    await p.close();
  }
});

test.run();
