// The pause between a prune's slices (store/time-slice.ts, issue 16): it
// rests about as long as the slice held the thread while mail is arriving,
// and not at all when none is, so an idle server prunes at full speed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { restingPause, TimeSlicer } from '../../src/store/time-slice.js';

/** Holds the thread for `ms`, as a delete batch does. */
function work(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

async function pauseLength(busy: boolean, sliceMs: number): Promise<number> {
  const pause = restingPause(() => busy);
  await pause();
  work(sliceMs);
  const t0 = performance.now();
  await pause();
  return performance.now() - t0;
}

test('while mail arrives, the pause rests about as long as the slice worked', async () => {
  const rested = await pauseLength(true, 8);
  assert.ok(rested >= 7, `rested ${rested.toFixed(1)} ms after an 8 ms slice`);
});

test('with no mail arriving, the pause only yields', async () => {
  const rested = await pauseLength(false, 8);
  assert.ok(rested < 5, `rested ${rested.toFixed(1)} ms after an 8 ms slice with nothing arriving`);
});

test('a rest is bounded however long the slice took', async () => {
  const rested = await pauseLength(true, 60);
  assert.ok(rested < 45, `rested ${rested.toFixed(1)} ms after a 60 ms slice`);
});

test('the slicer aims batches at the budget and at most doubles', () => {
  const s = new TimeSlicer(500, 4);
  assert.is(s.next, 16);
  s.took(16, 1);
  assert.is(s.next, 32, 'quick batch: doubled, not jumped to the budget');
  s.took(32, 16);
  assert.is(s.next, 8, 'slow batch: shrunk to what fits 4 ms');
});

test.run();
