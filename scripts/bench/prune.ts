// Prune bench: remove 90% of the stored messages (the oldest) inside the
// running server while senders keep delivering, and report how long the
// removal took and the worst final-dot→250 while it ran.
//
// It runs the real retention job (src/jobs/retention.ts prune(), through the
// writer thread as the scheduler does) with a public maximum age chosen so
// that 90% of the stored mail is older. If a build has no retention job, a
// stand-in deletes the oldest messages through MessageStore.delete in
// batches, and the table says so.
import type { Mailroom } from '../../src/main.js';
import { runLoad, type LoadResult } from './load-client.js';
import type { TargetProcess } from './targets.js';
import Database from 'better-sqlite3';

/** Bench-only reads straight from the file: the Store keeps its handle to itself (issue 10 part 3). */
function benchRead<T>(store: { file: string }, fn: (db: Database.Database) => T): T {
  const db = new Database(store.file, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export const PRUNE_METHOD = 'retention prune() in the writer thread, public max age set so 90% is older';
export const STAND_IN_METHOD = 'stand-in: MessageStore.delete, oldest first, 500 per transaction';

export interface PruneResult {
  method: string;
  target: number;
  deleted: number;
  ms: number;
  batches: number;
  /** Stand-in only: longest single batch, the longest the event loop was held. */
  maxBatchMs: number;
  timedOut: boolean;
  detail?: Record<string, unknown>;
}

interface RetentionWriter {
  prune(policy: Record<string, unknown>, now: number): Promise<Record<string, unknown> & { publicAge: number; batches: number; aborted: boolean }>;
  abortPrune(): void;
}

/** Runs in the target process (serve-target.ts). */
export async function pruneInServer(m: Mailroom, fraction: number, opts: { batch?: number; timeoutMs?: number } = {}): Promise<PruneResult> {
  const store = m.store;
  const total = store.messages.stats().messages;
  const goal = Math.floor(total * fraction);
  const writer = (m as unknown as { writer?: RetentionWriter }).writer;
  type RetentionModule = { policyFromConfig(c: unknown): Record<string, unknown> };
  const retention = await import('../../src/jobs/retention.js').then(
    (mod) => mod as unknown as RetentionModule,
    () => null,
  );
  if (writer && typeof writer.prune === 'function' && retention?.policyFromConfig) {
    // The receive time of the oldest message that should stay.
    const keepFrom = benchRead(store, (db) => db.prepare('SELECT received FROM messages ORDER BY received, seq LIMIT 1 OFFSET ?').pluck().get(goal)) as number;
    const now = Date.now();
    const policy = { ...retention.policyFromConfig(m.config), publicMaxAgeMs: now - keepFrom, publicMaxPerInbox: 0, privateMaxAgeMs: 0, privateMaxPerAccount: 0 };
    const t0 = performance.now();
    const timer = setTimeout(() => writer.abortPrune(), opts.timeoutMs ?? 15 * 60_000);
    try {
      const r = await writer.prune(policy, now);
      return { method: PRUNE_METHOD, target: goal, deleted: r.publicAge, ms: performance.now() - t0, batches: r.batches, maxBatchMs: NaN, timedOut: r.aborted, detail: r };
    } finally {
      clearTimeout(timer);
    }
  }
  return standIn(m, goal, opts);
}

async function standIn(m: Mailroom, goal: number, opts: { batch?: number; timeoutMs?: number }): Promise<PruneResult> {
  const store = m.store;
  const batchSize = opts.batch ?? 500;
  const deadline = performance.now() + (opts.timeoutMs ?? 15 * 60_000);
  const oldest = (n: number) => benchRead(store, (db) => db.prepare('SELECT id FROM messages ORDER BY received, seq LIMIT ?').pluck().all(n)) as string[];
  const t0 = performance.now();
  let deleted = 0;
  let batches = 0;
  let maxBatchMs = 0;
  let timedOut = false;
  while (deleted < goal) {
    if (performance.now() > deadline) {
      timedOut = true;
      break;
    }
    const b0 = performance.now();
    const ids = oldest(Math.min(batchSize, goal - deleted));
    if (!ids.length) break;
    deleted += store.bulk.deleteIds(ids);
    batches++;
    maxBatchMs = Math.max(maxBatchMs, performance.now() - b0);
    // Let SMTP sessions and their commits run between batches.
    await new Promise((r) => setImmediate(r));
  }
  return { method: STAND_IN_METHOD, target: goal, deleted, ms: performance.now() - t0, batches, maxBatchMs, timedOut };
}

export interface PruneBenchResult {
  stored: number;
  prune: PruneResult | null;
  error?: string;
  /** Ingest just before the prune, same senders: the baseline. */
  before: LoadResult;
  /** Ingest while the prune ran. */
  during: LoadResult;
}

/** Runs in the bench process against a Mailroom target holding `stored` messages. */
export async function runPruneBench(
  target: TargetProcess,
  stored: number,
  load: { payloads: Buffer[]; recipient: () => string; senders: number; timeoutMs: number },
): Promise<PruneBenchResult> {
  const common = { port: target.smtpPort, senders: load.senders, mode: 'persistent' as const, payloads: load.payloads, recipient: load.recipient };
  const before = await runLoad({ ...common, warmupMs: 300, durationMs: 2000 });
  let prune: PruneResult | null = null;
  let error: string | undefined;
  const during = await runLoad({
    ...common,
    warmupMs: 300,
    durationMs: load.timeoutMs,
    during: () =>
      target.request<PruneResult>('prune', { fraction: 0.9, timeoutMs: load.timeoutMs }, load.timeoutMs + 60_000).then(
        (r) => (prune = r),
        (e) => (error = (e as Error).message),
      ),
  });
  return { stored, prune, error, before, during };
}
