// Percentiles and small statistics for the bench. Nearest-rank percentiles
// (the smallest sample with at least p% of the samples at or below it), so a
// p99 is always a latency some message really had, never an interpolation.

/** Nearest-rank percentile of already sorted samples; NaN when there are none. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (p <= 0) return sorted[0];
  if (p >= 100) return sorted[n - 1];
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n, Math.max(1, rank)) - 1];
}

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Summarises samples (any order); the input is not modified. */
export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples as ArrayLike<number>).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    count: sorted.length,
    p50: percentileSorted(sorted, 50),
    p99: percentileSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

/** A growable list of float samples that does not allocate one object per sample. */
export class Samples {
  private buf = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  values(): Float64Array {
    return this.buf.subarray(0, this.length);
  }

  summary(): Summary {
    return summarize(this.values());
  }
}

/** Nanoseconds from process.hrtime.bigint() differences to milliseconds. */
export function nsToMs(ns: bigint): number {
  return Number(ns) / 1e6;
}

/** CPU time (user + system) as a percentage of one core over a wall-clock interval. */
export function cpuPercent(usage: NodeJS.CpuUsage, wallMs: number): number {
  if (wallMs <= 0) return NaN;
  return ((usage.user + usage.system) / 1000 / wallMs) * 100;
}

/** Deterministic PRNG (mulberry32) so generated data and sampled reads repeat run to run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Zipf-like sampler over ranks 0..n-1 (weight 1/(rank+1)^s): a few inboxes
 * get most of the mail, as with a domain where load tests hit a handful of
 * addresses and people get the long tail.
 */
export function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += 1 / Math.pow(i + 1, s);
    cdf[i] = total;
  }
  for (let i = 0; i < n; i++) cdf[i] /= total;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * Wall-clock time in ms with sub-millisecond resolution, comparable across
 * the bench's processes on one machine (250 in the load client, ready in the
 * server: issue 10's 250→ready).
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
