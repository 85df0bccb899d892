// node --import tsx scripts/bench/prune-slices.ts [N]
// How long the retention prune holds the writer thread at a stretch (issue
// 16): seeds N messages (default 10,000), then runs prune() on 90% of them
// with a pause that records the time since the previous one. Every group
// commit (every dot→250) that arrives during a prune waits at most one such
// stretch, so their largest values are the floor of the worst dot→250 the
// prune bench can see, without the load client's noise. Stretches are
// grouped by phase: delete batches, search-index merge steps, free-page
// vacuum steps, and the final WAL checkpoint (no pause after it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/index.js';
import { openDatabase } from '../../src/store/db.js';
import { prune, type RetentionPolicy } from '../../src/jobs/retention.js';
import { Seeder } from './seed.js';
import { percentileSorted } from './stats.js';

const N = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(path.join(tmpdir(), 'mailroom-prune-slices-'));

try {
  let store = openStore(dir);
  const seeder = new Seeder(store);
  let t = performance.now();
  seeder.add(N);
  store.close();
  console.log(`seeded ${N} messages in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  store = openStore(dir);
  const side = openDatabase(store.file, { readonly: true });
  const total = side.prepare('SELECT count(*) FROM messages').pluck().get() as number;
  const keepFrom = side.prepare('SELECT received FROM messages ORDER BY received, seq LIMIT 1 OFFSET ?').pluck().get(Math.floor(total * 0.9)) as number;
  side.close();
  const now = Date.now();
  const policy: RetentionPolicy = {
    publicMaxAgeMs: now - keepFrom,
    publicMaxPerInbox: 0,
    privateMaxAgeMs: 0,
    privateMaxPerAccount: 0,
    batchSize: 500,
    maxDatabaseBytes: 0,
    diskHighWater: 0.9,
    diskLowWater: 0.8,
    auditLogDays: 90,
    loginRecordDays: 90,
  };
  const stretches: number[] = [];
  // Messages per delete batch and the time of the delete itself, to tell a large batch from a slow one.
  const batches: Array<{ n: number; ms: number }> = [];
  const bulk = store.bulk as unknown as Record<string, (ids: string[]) => number>;
  for (const name of ['deleteIds', 'deleteIdsUnsynced']) {
    const original = bulk[name]?.bind(store.bulk);
    if (!original) continue;
    bulk[name] = (ids: string[]) => {
      const t1 = performance.now();
      const n = original(ids);
      batches.push({ n: ids.length, ms: performance.now() - t1 });
      return n;
    };
  }
  let last = performance.now();
  const pause = () =>
    new Promise<void>((resolve) => {
      stretches.push(performance.now() - last);
      setImmediate(() => {
        last = performance.now();
        resolve();
      });
    });
  t = performance.now();
  last = t;
  const r = await prune(store, policy, now, { pause });
  const tail = performance.now() - last;
  const ms = performance.now() - t;
  store.close();

  const removed = r.publicAge;
  // The order prune() runs them in: deletes (one pause per batch), merge steps, vacuum steps, then the checkpoint.
  const phases: Array<[string, number[]]> = [
    ['delete batches', stretches.slice(0, r.batches)],
    ['merge + vacuum steps', stretches.slice(r.batches)],
    ['final checkpoint (no pause after it)', [tail]],
  ];
  console.log(`pruned ${removed} of ${total} in ${(ms / 1000).toFixed(2)} s, ${r.batches} delete batches, ${r.vacuumedPages} pages given back`);
  console.log('| phase | stretches | p50 ms | p99 ms | max ms | total ms |');
  console.log('|:--|--:|--:|--:|--:|--:|');
  for (const [name, xs] of phases) {
    if (!xs.length) continue;
    const s = [...xs].sort((a, b) => a - b);
    const sum = s.reduce((a, b) => a + b, 0);
    console.log(`| ${name} | ${s.length} | ${percentileSorted(s, 50).toFixed(1)} | ${percentileSorted(s, 99).toFixed(1)} | ${s[s.length - 1]!.toFixed(1)} | ${sum.toFixed(0)} |`);
  }
  const slow = batches.map((b, i) => ({ ...b, i, stretch: stretches[i] ?? NaN })).sort((a, b) => b.stretch - a.stretch).slice(0, 8);
  console.log('slowest delete stretches (batch #, messages, delete ms, stretch ms): ' + slow.map((b) => `#${b.i} ${b.n} ${b.ms.toFixed(1)} ${b.stretch.toFixed(1)}`).join('; '));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
