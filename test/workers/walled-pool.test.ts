// WalledPool: a job that hits a wall (time, memory, output) or throws fails
// alone; jobs queued behind it run on a replacement worker (issue 10 part 2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WalledPool, WalledJobFailed } from '../../src/workers/walled-pool.js';
import type { TestJob } from './test-worker.js';

const entry = new URL('./test-worker.ts', import.meta.url);

function pool(size = 1, pipeline = false) {
  return new WalledPool<TestJob, string>({
    entry,
    size,
    pipeline,
    timeLimitMs: 1500,
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
    maxOutputBytes: 1024 * 1024,
  });
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return err instanceof WalledJobFailed ? err.reason : `other: ${(err as Error).message}`;
  }
}

test('a job past its wall time fails alone; the jobs queued behind it are answered', async () => {
  const p = pool(1);
  try {
    const before = p.run({ kind: 'echo', value: 'a' });
    const spin = p.run({ kind: 'spin' });
    const after = [p.run({ kind: 'echo', value: 'b' }), p.run({ kind: 'echo', value: 'c' })];
    assert.is(await before, 'a');
    assert.is(await reason(spin), 'time');
    assert.equal(await Promise.all(after), ['b', 'c']);
    assert.is(p.stats.killed, 1);
  } finally {
    await p.close();
  }
});

test('a job past the memory limit fails as memory; the next job runs on a new worker', async () => {
  const p = pool(1);
  try {
    const grow = p.run({ kind: 'grow' }, { timeLimitMs: 30_000 });
    const next = p.run({ kind: 'echo', value: 'still here' });
    assert.is(await reason(grow), 'memory');
    assert.is(await next, 'still here');
  } finally {
    await p.close();
  }
});

test('an answer over the output cap fails as output; a thrown error is reported without its message', async () => {
  const p = pool(2);
  try {
    assert.is(await reason(p.run({ kind: 'big', chars: 2 * 1024 * 1024 })), 'output');
    assert.is((await p.run({ kind: 'big', chars: 1000 })).length, 1000);
    let message = '';
    try {
      await p.run({ kind: 'throw' });
    } catch (err) {
      message = (err as Error).message;
    }
    assert.match(message, /^error/);
    assert.not.match(message, /secret/);
  } finally {
    await p.close();
  }
});

test('two workers: a stuck job does not hold up the other worker', async () => {
  const p = pool(2);
  try {
    const spin = p.run({ kind: 'spin' });
    // Let both workers boot, then check the second one keeps answering while the first spins.
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) answers.push(await p.run({ kind: 'echo', value: String(i) }));
    assert.equal(answers, ['0', '1', '2', '3', '4']);
    assert.is(await reason(spin), 'time');
  } finally {
    await p.close();
  }
});

test('pipelined: the job posted behind a runaway one never started, and is answered by the replacement', async () => {
  const p = pool(1, true);
  try {
    const first = p.run({ kind: 'echo', value: 'a' });
    const spin = p.run({ kind: 'spin' });
    // Posted to the worker while the spin runs (pipeline): it must not fail with it.
    const behind = p.run({ kind: 'echo', value: 'b' });
    const later = p.run({ kind: 'echo', value: 'c' });
    assert.is(await first, 'a');
    assert.is(await reason(spin), 'time');
    assert.equal(await Promise.all([behind, later]), ['b', 'c']);
    assert.is(p.stats.killed, 1);
    assert.is(p.stats.failed, 1);
  } finally {
    await p.close();
  }
});

test('pipelined: a memory blow-up fails alone, and answers keep their order', async () => {
  const p = pool(1, true);
  try {
    const grow = p.run({ kind: 'grow' }, { timeLimitMs: 30_000 });
    const rest = ['x', 'y', 'z'].map((value) => p.run({ kind: 'echo', value }));
    assert.is(await reason(grow), 'memory');
    assert.equal(await Promise.all(rest), ['x', 'y', 'z']);
  } finally {
    await p.close();
  }
});

test.run();
