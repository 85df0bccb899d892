// Retention (issue 4): which stored mail has outlived the operator's policy,
// and deleting it without stalling the SMTP receiver. prune() is a plain
// function of (store, policy, now): the scheduler (scheduler.ts) only decides
// when it runs. Rules (stars: issue 13 item 6, docs/retention-privacy.md):
//   - public (unowned) mail older than public.maxAgeHours, starred or not: a
//     hard limit, so a star cannot keep public mail forever;
//   - public inboxes holding more than public.maxMessagesPerInbox unstarred
//     messages: the oldest unstarred go. Starred ones neither go nor count,
//     so whoever stars messages in a public inbox takes nobody's room there;
//   - private mail older than private.maxAgeHours, starred kept;
//   - accounts holding more than private.maxMessagesPerAccount: the oldest
//     unstarred of their private mail go. The count is their private mail
//     (starred too, kept, as Mailsac's storage does) plus the public mail
//     they starred: a star on public mail costs the starrer's quota only;
//   - an account whose billing plan sets retentionDays or storageMessages
//     (issue 15, policy.accounts) is kept by those instead of
//     private.maxAgeHours / private.maxMessagesPerAccount, longer or shorter,
//     by the same two rules; a plan's 0 leaves the retention settings in force;
//   - past diskHighWater of storage.maxDatabaseBytes, the oldest public mail
//     until diskLowWater;
//   - audit entries, login records and expired sessions past their days.
//
// Time. Ages are real elapsed milliseconds (now - received), never calendar
// days, so a daylight-saving change neither shortens nor lengthens them. The
// wall clock can step backwards (NTP, a VM restored from a snapshot), which
// gives a later arrival an earlier `received` than mail stored before it. So
// "oldest" means arrival order (seq, which only grows), and the age rule only
// deletes a message when it AND everything that arrived before it is past
// the cutoff: a message is never treated as older than one that arrived
// earlier, and nothing younger than the policy is removed (bad-input 70).
//
// Deleting: in batches, each its own IMMEDIATE transaction (it takes the
// write lock up front, so a commit by the writer thread in between can never
// turn into SQLITE_BUSY half-way, bad-input 33). Time-sliced (issue 16): a
// batch is sized to take about SLICE_MS (at most policy.batchSize messages),
// and between batches the group commits waiting on the writer thread go
// first. With fixed 200-message batches (60-140 ms each) and one turn of the
// loop between them, 4 senders fell from 510 to 42 messages/s during a prune
// and the worst dot→250 was 233-712 ms: every commit waited for a whole batch.
// Batches are committed without an fsync of their own (synchronous=NORMAL,
// BulkDelete.deleteIdsUnsynced): with one per batch, the slicer's 4 ms
// budget went to fsyncs and batches held 2-3 messages each. While mail is
// arriving, the writer thread's pause also rests as long as the slice took
// (time-slice.ts restingPause), and FTS5 does not merge the search index
// inside a batch (RetentionStore.pauseSearchAutomerge): both from run K of
// docs/performance.md.
// Afterwards the free pages are given back (incremental vacuum, in steps) and
// the WAL is folded into the file and truncated, so deleted bytes linger in
// neither (secure_delete is on, db.ts).
//
// Engines (issue 14): the rules below (pruneWith) ask for rows through
// RetentionEngine (store/retention.ts), behind promises. On SQLite that is
// RetentionStore on this connection (sqliteRetention): each query answers at
// once, so a batch's select and delete still run within one turn of the
// writer thread's loop and everything above holds as it did. PostgreSQL
// answers the same queries (store/pg/retention.ts), one node at a time.
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import { SEARCH_MERGE_STEPS, type GroupCount, type Ownership, type RetentionEngine, type RetentionRows, type SeqId } from '../store/retention.js';
import { promised } from '../store/repositories.js';
import { SLICE_MS, TimeSlicer, yieldToCommits } from '../store/time-slice.js';

/**
 * One account's own limits (a billing plan's retentionDays and
 * storageMessages, issue 15); 0: the policy's private rule applies to it.
 * Plain data: the policy is posted to the writer thread.
 */
export interface AccountRetention {
  userId: number;
  maxAgeMs: number;
  maxMessages: number;
}

export interface RetentionPolicy {
  /** 0: rule off. */
  publicMaxAgeMs: number;
  publicMaxPerInbox: number;
  privateMaxAgeMs: number;
  privateMaxPerAccount: number;
  batchSize: number;
  /** 0: no disk budget. */
  maxDatabaseBytes: number;
  diskHighWater: number;
  diskLowWater: number;
  auditLogDays: number;
  loginRecordDays: number;
  /** Accounts with limits of their own, replacing privateMaxAgeMs / privateMaxPerAccount for them. */
  accounts?: AccountRetention[];
}

export function policyFromConfig(config: Config): RetentionPolicy {
  const r = config.retention;
  const hour = 3_600_000;
  return {
    publicMaxAgeMs: r.public.maxAgeHours * hour,
    publicMaxPerInbox: r.public.maxMessagesPerInbox,
    privateMaxAgeMs: r.private.maxAgeHours * hour,
    privateMaxPerAccount: r.private.maxMessagesPerAccount,
    batchSize: r.batchSize,
    maxDatabaseBytes: config.storage.maxDatabaseBytes,
    diskHighWater: r.diskHighWater,
    diskLowWater: r.diskLowWater,
    auditLogDays: config.privacy.auditLogDays,
    loginRecordDays: config.privacy.loginRecordDays,
  };
}

export interface PruneResult {
  publicAge: number;
  publicCount: number;
  privateAge: number;
  privateQuota: number;
  diskBudget: number;
  auditEntries: number;
  loginRecords: number;
  sessions: number;
  batches: number;
  vacuumedPages: number;
  /** True when stopped early (shutdown). */
  aborted: boolean;
}

export interface PruneOptions {
  /** Called between batches; the default lets the group commits waiting meanwhile go first. */
  pause?: () => Promise<void>;
  /** Stops between batches when it returns true (shutdown). */
  aborted?: () => boolean;
  /** Give free pages back and truncate the WAL afterwards (default true). */
  reclaim?: boolean;
}

/** Pages per incremental_vacuum step: 2 MB at the default 4 KB page, a few ms of work. */
const VACUUM_STEP = 512;


/** prune() on the SQLite store: its RetentionStore behind promises, on this connection (the writer thread's in the appliance). */
export function sqliteRetention(store: Store, automerge: SearchAutomerge): RetentionEngine {
  const rows: RetentionRows = promised(store.retention, [
    'firstYoungSeq',
    'agedPage',
    'publicInboxesOver',
    'oldestInInbox',
    'accountsOver',
    'agedOfAccount',
    'agedPrivateExcept',
    'accountCount',
    'oldestOfAccount',
    'oldestPublicPage',
    'usedBytes',
  ]);
  return {
    rows,
    sliceMs: SLICE_MS,
    // Each batch is one IMMEDIATE transaction (see the top of this file),
    // without an fsync of its own: reclaim()'s checkpoint, or the next SMTP
    // commit, makes it durable (BulkDelete.deleteIdsUnsynced).
    // From the first batch until the merge steps are done, FTS5 does not
    // merge segments inside a batch (RetentionStore.pauseSearchAutomerge).
    deleteBatch: async (ids) => {
      automerge.pause();
      return store.bulk.deleteIdsUnsynced(ids);
    },
    pruneRecords: async (now, auditDays, loginDays) => {
      const a = store.audit.prune(now, auditDays, loginDays);
      return { audit: a.audit, logins: a.logins, sessions: store.sessions.prune(now) };
    },
    mergeSearchStep: async () => store.retention.mergeSearchStep(),
    reclaim: (pause) => reclaim(store, pause),
    afterMerge: async () => automerge.resume(),
  };
}

/** Runs the policy on the SQLite store (see sqliteRetention, pruneWith). */
export async function prune(store: Store, policy: RetentionPolicy, now: number, opts: PruneOptions = {}): Promise<PruneResult> {
  const automerge = searchAutomerge(store);
  try {
    return await pruneWith(sqliteRetention(store, automerge), policy, now, opts);
  } finally {
    // Aborted or failed before its merge steps: FTS5 merges by itself again.
    automerge.resume();
  }
}

interface SearchAutomerge {
  pause(): void;
  resume(): void;
}

/** One prune's pause of FTS5's automatic merges: from its first delete batch until after its merge steps. */
function searchAutomerge(store: Store): SearchAutomerge {
  let paused = false;
  return {
    pause() {
      if (paused) return;
      store.retention.pauseSearchAutomerge();
      paused = true;
    },
    resume() {
      if (!paused) return;
      paused = false;
      store.retention.resumeSearchAutomerge();
    },
  };
}

/**
 * The rules, once for both engines: which mail goes, in which order, when to
 * stop, walked over an engine's row queries (RetentionEngine). On SQLite
 * every query answers at once (behind a resolved promise), so a batch's
 * select and delete still run within one turn of the writer thread's loop.
 */
export async function pruneWith(engine: RetentionEngine, policy: RetentionPolicy, now: number, opts: PruneOptions = {}): Promise<PruneResult> {
  const rows = engine.rows;
  const pause = opts.pause ?? yieldToCommits;
  const aborted = opts.aborted ?? (() => false);
  const batchSize = Math.max(1, policy.batchSize);
  const result: PruneResult = {
    publicAge: 0,
    publicCount: 0,
    privateAge: 0,
    privateQuota: 0,
    diskBudget: 0,
    auditEntries: 0,
    loginRecords: 0,
    sessions: 0,
    batches: 0,
    vacuumedPages: 0,
    aborted: false,
  };

  const slicer = new TimeSlicer(batchSize, engine.sliceMs);

  /** Deletes ids in time-sliced batches with a pause between them; returns how many went. */
  const drain = async (next: (n: number) => Promise<string[]>): Promise<number> => {
    let total = 0;
    for (;;) {
      if (aborted()) {
        result.aborted = true;
        return total;
      }
      const t0 = performance.now();
      const ids = await next(slicer.next);
      if (!ids.length) return total;
      total += await engine.deleteBatch(ids);
      slicer.took(ids.length, performance.now() - t0);
      result.batches++;
      await pause();
    }
  };

  /** Walks pages of (seq, id) in arrival order, each page starting after the last seq seen. */
  const bySeq = (page: (afterSeq: number, n: number) => Promise<SeqId[]>) => {
    let after = 0;
    return async (n: number) => {
      const found = await page(after, n);
      if (found.length) after = found[found.length - 1]!.seq;
      return found.map((r) => r.id);
    };
  };

  const accounts = policy.accounts ?? [];
  const ownAge = accounts.filter((a) => a.maxAgeMs > 0);
  const ownCount = accounts.filter((a) => a.maxMessages > 0);

  const ageRule = async (maxAgeMs: number, which: Ownership, exceptOwners: number[] = []): Promise<number> => {
    if (maxAgeMs <= 0) return 0;
    const cutoff = now - maxAgeMs;
    // Everything that arrived before this seq is past the cutoff (see "Time" above).
    const limitSeq = await rows.firstYoungSeq(cutoff);
    if (which === 'private' && exceptOwners.length > 0) {
      return drain(bySeq((after, n) => rows.agedPrivateExcept(exceptOwners, after, limitSeq, cutoff, n)));
    }
    return drain(bySeq((after, n) => rows.agedPage(which, after, limitSeq, cutoff, n)));
  };

  /** An account's own age limit: its unstarred private mail past it, by the same "Time" rule. */
  const accountAgeRule = async (a: AccountRetention): Promise<number> => {
    if (result.aborted) return 0;
    const cutoff = now - a.maxAgeMs;
    const limitSeq = await rows.firstYoungSeq(cutoff);
    return drain(bySeq((after, n) => rows.agedOfAccount(a.userId, after, limitSeq, cutoff, n)));
  };

  /** Groups over `max` (messages per group); the oldest unstarred of each go until the group fits. */
  const countRule = async <K>(groups: Array<GroupCount<K>>, max: number, oldest: (key: K, n: number) => Promise<string[]>): Promise<number> => {
    let pending: string[] = [];
    let i = 0;
    return drain(async (n) => {
      while (pending.length < n && i < groups.length) {
        const g = groups[i++]!;
        pending.push(...(await oldest(g.key, g.n - max)));
      }
      return pending.splice(0, n);
    });
  };

  // 1. Age.
  result.publicAge = await ageRule(policy.publicMaxAgeMs, 'public');
  result.privateAge = await ageRule(policy.privateMaxAgeMs, 'private', ownAge.map((a) => a.userId));
  for (const a of ownAge) result.privateAge += await accountAgeRule(a);

  // 2. Counts: public inboxes, then private accounts.
  if (policy.publicMaxPerInbox > 0 && !result.aborted) {
    const groups = await rows.publicInboxesOver(policy.publicMaxPerInbox);
    result.publicCount = await countRule(groups, policy.publicMaxPerInbox, (inbox, excess) => rows.oldestInInbox(inbox, excess));
  }
  if (policy.privateMaxPerAccount > 0 && !result.aborted) {
    const own = new Set(ownCount.map((a) => a.userId));
    const groups = (await rows.accountsOver(policy.privateMaxPerAccount)).filter((g) => !own.has(g.key));
    result.privateQuota = await countRule(groups, policy.privateMaxPerAccount, (owner, excess) => rows.oldestOfAccount(owner, excess));
  }
  // Accounts with a storage limit of their own: counted the same way, the oldest unstarred go.
  for (const a of ownCount) {
    if (result.aborted) break;
    const n = await rows.accountCount(a.userId);
    if (n > a.maxMessages) result.privateQuota += await countRule([{ key: a.userId, n }], a.maxMessages, (owner, excess) => rows.oldestOfAccount(owner, excess));
  }

  // 3. The disk budget: the oldest public mail, whatever its age, until below low water.
  if (policy.maxDatabaseBytes > 0 && !result.aborted) {
    const high = policy.maxDatabaseBytes * policy.diskHighWater;
    const low = policy.maxDatabaseBytes * policy.diskLowWater;
    if ((await rows.usedBytes()) > high) {
      const next = bySeq((after, n) => rows.oldestPublicPage(after, n));
      result.diskBudget = await drain(async (n) => ((await rows.usedBytes()) <= low ? [] : next(n)));
    }
  }

  // 4. Records about people.
  if (!result.aborted) {
    const a = await engine.pruneRecords(now, policy.auditLogDays, policy.loginRecordDays);
    result.auditEntries = a.audit;
    result.loginRecords = a.logins;
    result.sessions = a.sessions;
  }

  // 5. The search index keeps a deleted message's words behind a tombstone
  // until its segments merge; merge a bounded amount now, in steps (a full
  // 'optimize' rewrites the whole index and would hold the writer too long;
  // data-rights erasure does run it).
  const removed = result.publicAge + result.publicCount + result.privateAge + result.privateQuota + result.diskBudget;
  if (removed > 0 && !result.aborted) {
    // SEARCH_MERGE_STEPS small steps: the same bound as the 64 × 500 before, in slices.
    for (let i = 0; i < SEARCH_MERGE_STEPS; i++) {
      if (!(await engine.mergeSearchStep())) break;
      await pause();
    }
  }
  await engine.afterMerge?.();

  // 6. Give the space back, then fold and truncate the WAL.
  if ((opts.reclaim ?? true) && !result.aborted && (removed > 0 || result.auditEntries + result.loginRecords + result.sessions > 0)) {
    result.vacuumedPages = await engine.reclaim(pause);
  }
  return result;
}

/** Bytes in use: pages of the file minus free pages. */
export function usedBytes(store: Store): number {
  return store.retention.usedBytes();
}

/**
 * Returns free pages to the file system in steps (the file shrinks), then
 * checkpoints the WAL and truncates it. Returns the pages given back.
 */
export async function reclaim(store: Store, pause: () => Promise<void> = yieldToCommits): Promise<number> {
  const rows = store.retention;
  let given = 0;
  // An older file created without auto_vacuum=INCREMENTAL keeps its size.
  if (rows.canVacuum()) {
    for (;;) {
      const before = rows.freePages();
      if (before === 0) break;
      rows.vacuumStep(VACUUM_STEP);
      const after = rows.freePages();
      given += before - after;
      if (after >= before) break;
      await pause();
    }
  }
  store.checkpoint();
  return given;
}
