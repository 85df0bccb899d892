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
// Deleting: in batches of policy.batchSize, each its own IMMEDIATE
// transaction (it takes the write lock up front, so a commit by the writer
// thread in between can never turn into SQLITE_BUSY half-way, bad-input 33),
// with a turn of the event loop between batches so SMTP sessions are answered.
// Afterwards the free pages are given back (incremental vacuum, in steps) and
// the WAL is folded into the file and truncated, so deleted bytes linger in
// neither (secure_delete is on, db.ts).
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';

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
  /** Called between batches; the default yields one turn of the event loop. */
  pause?: () => Promise<void>;
  /** Stops between batches when it returns true (shutdown). */
  aborted?: () => boolean;
  /** Give free pages back and truncate the WAL afterwards (default true). */
  reclaim?: boolean;
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Pages per incremental_vacuum step: 8 MB at the default 4 KB page, a few ms of work. */
const VACUUM_STEP = 2048;

const PUBLIC = 'NOT EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox)';
const PRIVATE = 'EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox)';

export async function prune(store: Store, policy: RetentionPolicy, now: number, opts: PruneOptions = {}): Promise<PruneResult> {
  const { db } = store;
  const pause = opts.pause ?? yieldTurn;
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

  const deleteTx = db.transaction((ids: string[]) => {
    let n = 0;
    for (const id of ids) if (store.messages.delete(id)) n++;
    return n;
  });
  const deleteBatch = (ids: string[]): number => deleteTx.immediate(ids);

  /** Deletes ids in batches with a pause between them; returns how many went. */
  const drain = async (next: () => string[]): Promise<number> => {
    let total = 0;
    for (;;) {
      if (aborted()) {
        result.aborted = true;
        return total;
      }
      const ids = next();
      if (!ids.length) return total;
      total += deleteBatch(ids);
      result.batches++;
      await pause();
    }
  };

  /** Everything that arrived before this seq is past the cutoff (see "Time" above). */
  const firstYoungSeq = (cutoff: number): number =>
    (db.prepare(`SELECT min(seq) FROM messages WHERE received >= ?`).pluck().get(cutoff) as number | null) ?? Number.MAX_SAFE_INTEGER;

  const ageRule = async (maxAgeMs: number, which: string, keepStarred: boolean): Promise<number> => {
    if (maxAgeMs <= 0) return 0;
    const cutoff = now - maxAgeMs;
    const limitSeq = firstYoungSeq(cutoff);
    const stmt = db.prepare(
      `SELECT m.seq, m.id FROM messages m
       WHERE m.seq > ? AND m.seq < ? AND m.received < ? AND ${keepStarred ? 'm.starred = 0 AND ' : ''}${which}
       ORDER BY m.seq LIMIT ?`,
    );
    let after = 0;
    return drain(() => {
      const rows = stmt.all(after, limitSeq, cutoff, batchSize) as Array<{ seq: number; id: string }>;
      if (rows.length) after = rows[rows.length - 1]!.seq;
      return rows.map((r) => r.id);
    });
  };

  /** Groups over `max` (messages per group); the oldest unstarred of each go until the group fits. */
  const countRule = async (groups: Array<{ key: string | number; n: number }>, max: number, oldest: (key: string | number, n: number) => string[]): Promise<number> => {
    let pending: string[] = [];
    let i = 0;
    return drain(() => {
      while (pending.length < batchSize && i < groups.length) {
        const g = groups[i++]!;
        pending.push(...oldest(g.key, g.n - max));
      }
      return pending.splice(0, batchSize);
    });
  };

  // 1. Age.
  result.publicAge = await ageRule(policy.publicMaxAgeMs, PUBLIC, false);
  result.privateAge = await ageRule(policy.privateMaxAgeMs, PRIVATE, true);

  // 2. Counts: public inboxes, then private accounts.
  if (policy.publicMaxPerInbox > 0 && !result.aborted) {
    const groups = db
      .prepare(`SELECT m.inbox AS key, count(*) AS n FROM messages m WHERE m.starred = 0 AND ${PUBLIC} GROUP BY m.inbox HAVING n > ?`)
      .all(policy.publicMaxPerInbox) as Array<{ key: string; n: number }>;
    const oldest = db.prepare(`SELECT id FROM messages WHERE inbox = ? AND starred = 0 ORDER BY seq LIMIT ?`).pluck();
    result.publicCount = await countRule(groups, policy.publicMaxPerInbox, (inbox, excess) => oldest.all(inbox, excess) as string[]);
  }
  if (policy.privateMaxPerAccount > 0 && !result.aborted) {
    const groups = db
      .prepare(
        `SELECT key, count(*) AS n FROM (
           SELECT a.owner_id AS key FROM messages m JOIN addresses a ON a.address = m.inbox
           UNION ALL
           SELECT m.saved_by AS key FROM messages m WHERE m.starred = 1 AND m.saved_by IS NOT NULL AND ${PUBLIC}
         ) GROUP BY key HAVING n > ?`,
      )
      .all(policy.privateMaxPerAccount) as Array<{ key: number; n: number }>;
    const oldest = db
      .prepare(`SELECT m.id FROM messages m JOIN addresses a ON a.address = m.inbox WHERE a.owner_id = ? AND m.starred = 0 ORDER BY m.seq LIMIT ?`)
      .pluck();
    result.privateQuota = await countRule(groups, policy.privateMaxPerAccount, (owner, excess) => oldest.all(owner, excess) as string[]);
  }

  // 3. The disk budget: the oldest public mail, whatever its age, until below low water.
  if (policy.maxDatabaseBytes > 0 && !result.aborted) {
    const high = policy.maxDatabaseBytes * policy.diskHighWater;
    const low = policy.maxDatabaseBytes * policy.diskLowWater;
    if (usedBytes(store) > high) {
      const stmt = db.prepare(`SELECT m.seq, m.id FROM messages m WHERE m.seq > ? AND m.starred = 0 AND ${PUBLIC} ORDER BY m.seq LIMIT ?`);
      let after = 0;
      result.diskBudget = await drain(() => {
        if (usedBytes(store) <= low) return [];
        const rows = stmt.all(after, batchSize) as Array<{ seq: number; id: string }>;
        if (rows.length) after = rows[rows.length - 1]!.seq;
        return rows.map((r) => r.id);
      });
    }
  }

  // 4. Records about people.
  if (!result.aborted) {
    const a = store.audit.prune(now, policy.auditLogDays, policy.loginRecordDays);
    result.auditEntries = a.audit;
    result.loginRecords = a.logins;
    result.sessions = db.prepare(`DELETE FROM sessions WHERE expires <= ?`).run(now).changes;
  }

  // 5. The search index keeps a deleted message's words behind a tombstone
  // until its segments merge; merge a bounded amount now, in steps (a full
  // 'optimize' rewrites the whole index and would hold the writer too long;
  // data-rights erasure does run it).
  const removed = result.publicAge + result.publicCount + result.privateAge + result.privateQuota + result.diskBudget;
  if (removed > 0 && !result.aborted) {
    const merge = db.prepare(`INSERT INTO message_fts (message_fts, rank) VALUES ('merge', 500)`);
    for (let i = 0; i < 64; i++) {
      const before = db.prepare('SELECT total_changes()').pluck().get() as number;
      merge.run();
      if ((db.prepare('SELECT total_changes()').pluck().get() as number) - before <= 1) break;
      await pause();
    }
  }

  // 6. Give the space back, then fold and truncate the WAL.
  if ((opts.reclaim ?? true) && !result.aborted && (removed > 0 || result.auditEntries + result.loginRecords + result.sessions > 0)) {
    result.vacuumedPages = await reclaim(store, pause);
  }
  return result;
}

/** Bytes in use: pages of the file minus free pages. */
export function usedBytes(store: Store): number {
  const { db } = store;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * pageSize;
}

/**
 * Returns free pages to the file system in steps (the file shrinks), then
 * checkpoints the WAL and truncates it. Returns the pages given back.
 */
export async function reclaim(store: Store, pause: () => Promise<void> = yieldTurn): Promise<number> {
  const { db } = store;
  let given = 0;
  // auto_vacuum=INCREMENTAL (2) is set when db.ts creates the file; an older file without it keeps its size.
  if (Number(db.pragma('auto_vacuum', { simple: true })) === 2) {
    for (;;) {
      const before = db.pragma('freelist_count', { simple: true }) as number;
      if (before === 0) break;
      db.pragma(`incremental_vacuum(${VACUUM_STEP})`);
      const after = db.pragma('freelist_count', { simple: true }) as number;
      given += before - after;
      if (after >= before) break;
      await pause();
    }
  }
  checkpoint(store);
  return given;
}

/** Folds the WAL into the database file and truncates it (deleted bytes must not linger there). */
export function checkpoint(store: Store): { busy: boolean } {
  const row = store.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
  return { busy: (row[0]?.busy ?? 0) !== 0 };
}
