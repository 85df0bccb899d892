// The reads and maintenance steps retention (jobs/retention.ts) is made of.
// The rules (which mail, in which order, when to stop) stay in the job; this
// file only knows how to ask SQLite for them, a page at a time.
import type { DB } from './db.js';
import type { Promised } from './repositories.js';

/**
 * Private: a reserved address, or any inbox of an account's verified private
 * domain (issue 12); public: everything else (unowned inboxes).
 */
const OWNED = `(EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox)
  OR EXISTS (SELECT 1 FROM account_domains d WHERE d.domain = m.domain AND d.verified IS NOT NULL AND d.is_private = 1))`;
const PUBLIC = `NOT ${OWNED}`;
const PRIVATE = OWNED;

export type Ownership = 'public' | 'private';

/** FTS5's defaults (nothing else in Mailroom changes them): merge a level at 4 segments, forced at 16. */
const FTS5_AUTOMERGE = 4;
const FTS5_CRISISMERGE = 16;
/** Pages one search-index merge step of a prune writes, and at most how many steps (the same bound as 320 × 100 before). */
const SEARCH_MERGE_PAGES = 25;
export const SEARCH_MERGE_STEPS = 1280;
/** Segments per level that force a merge while a prune has automerge paused. */
const PRUNE_CRISISMERGE = 64;

export interface SeqId {
  seq: number;
  id: string;
}

export interface GroupCount<K> {
  key: K;
  n: number;
}

/**
 * The row queries the retention rules (jobs/retention.ts) are walked over,
 * behind promises, so the rules exist once for both engines: SQLite answers
 * with RetentionStore (sqliteRetention in jobs/retention.ts), PostgreSQL with
 * the same queries in store/pg/retention.ts. Semantics: RetentionStore's doc
 * comments.
 */
export type RetentionRows = Promised<
  Pick<
    RetentionStore,
    | 'firstYoungSeq'
    | 'agedPage'
    | 'publicInboxesOver'
    | 'oldestInInbox'
    | 'accountsOver'
    | 'agedOfAccount'
    | 'agedPrivateExcept'
    | 'accountCount'
    | 'oldestOfAccount'
    | 'oldestPublicPage'
    | 'usedBytes'
  >
>;

/** What else a prune does on an engine besides reading rows: deleting, records about people, upkeep. */
export interface RetentionEngine {
  rows: RetentionRows;
  /** Wall time one delete batch should take (time-slice.ts). */
  sliceMs: number;
  /** Deletes these messages (with their content, attachments and unshared blobs when the last copy goes); how many existed. */
  deleteBatch(ids: string[]): Promise<number>;
  /** Audit entries and login records past their days (0: kept), expired sessions and other expired records. */
  pruneRecords(now: number, auditDays: number, loginDays: number): Promise<{ audit: number; logins: number; sessions: number }>;
  /** One bounded step of search-index upkeep after deletes; false when nothing was left to do. */
  mergeSearchStep(): Promise<boolean>;
  /** After the merge steps, or where they were skipped: whatever the engine suspended for the deletes comes back. */
  afterMerge?(): Promise<void>;
  /** Space given back after a prune that removed something; returns pages given back (0 where not measured). */
  reclaim(pause: () => Promise<void>): Promise<number>;
}

export class RetentionStore {
  private readonly stmts;

  constructor(private readonly db: DB) {
    // Starred private mail is kept past its age; public mail has a hard age
    // limit, starred or not, so a star cannot keep it forever (issue 13 item 6).
    const aged = (which: string, keepStarred: boolean) =>
      db.prepare(
        `SELECT m.seq, m.id FROM messages m
         WHERE m.seq > ? AND m.seq < ? AND m.received < ? AND ${keepStarred ? 'm.starred = 0 AND ' : ''}${which}
         ORDER BY m.seq LIMIT ?`,
      );
    this.stmts = {
      firstYoungSeq: db.prepare(`SELECT min(seq) FROM messages WHERE received >= ?`).pluck(),
      aged: { public: aged(PUBLIC, false), private: aged(PRIVATE, true) },
      // Starred public messages neither count nor go: a star takes nobody's room in a public inbox.
      publicInboxesOver: db.prepare(`SELECT m.inbox AS key, count(*) AS n FROM messages m WHERE m.starred = 0 AND ${PUBLIC} GROUP BY m.inbox HAVING n > ?`),
      oldestInInbox: db.prepare(`SELECT id FROM messages WHERE inbox = ? AND starred = 0 ORDER BY seq LIMIT ?`).pluck(),
      // An account's count: its private mail plus the public mail it starred (a star costs the starrer's quota only).
      accountsOver: db.prepare(
        `SELECT key, count(*) AS n FROM (
           SELECT a.owner_id AS key FROM messages m JOIN addresses a ON a.address = m.inbox
           UNION ALL
           SELECT m.saved_by AS key FROM messages m WHERE m.starred = 1 AND m.saved_by IS NOT NULL AND ${PUBLIC}
         ) GROUP BY key HAVING n > ?`,
      ),
      // One account's private mail past an age: its reserved addresses and its verified private domains.
      agedOfAccount: db.prepare(
        `SELECT m.seq, m.id FROM messages m
         WHERE m.seq > ? AND m.seq < ? AND m.received < ? AND m.starred = 0
           AND (m.inbox IN (SELECT address FROM addresses WHERE owner_id = ?)
             OR m.domain IN (SELECT domain FROM account_domains WHERE owner_id = ? AND verified IS NOT NULL AND is_private = 1))
         ORDER BY m.seq LIMIT ?`,
      ),
      // Private mail past an age, but not that of the accounts listed (JSON), which have their own age (issue 15).
      agedPrivateExcept: db.prepare(
        `SELECT m.seq, m.id FROM messages m
         WHERE m.seq > ? AND m.seq < ? AND m.received < ? AND m.starred = 0 AND ${PRIVATE}
           AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox AND a.owner_id IN (SELECT value FROM json_each(?)))
           AND NOT EXISTS (SELECT 1 FROM account_domains d WHERE d.domain = m.domain AND d.verified IS NOT NULL AND d.is_private = 1
                           AND d.owner_id IN (SELECT value FROM json_each(?))
                           AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox))
         ORDER BY m.seq LIMIT ?`,
      ),
      // The count accountsOver groups by, for one account.
      accountCount: db
        .prepare(
          `SELECT (SELECT count(*) FROM messages m JOIN addresses a ON a.address = m.inbox WHERE a.owner_id = ?)
                + (SELECT count(*) FROM messages m WHERE m.starred = 1 AND m.saved_by = ? AND ${PUBLIC})`,
        )
        .pluck(),
      oldestOfAccount: db
        .prepare(`SELECT m.id FROM messages m JOIN addresses a ON a.address = m.inbox WHERE a.owner_id = ? AND m.starred = 0 ORDER BY m.seq LIMIT ?`)
        .pluck(),
      oldestPublic: db.prepare(`SELECT m.seq, m.id FROM messages m WHERE m.seq > ? AND m.starred = 0 AND ${PUBLIC} ORDER BY m.seq LIMIT ?`),
      // Pages merged per step: small enough that a step stays within a time
      // slice between group commits (issue 16), SEARCH_MERGE_STEPS of them
      // per prune. 100 pages of 16 KiB took up to 46-70 ms once the prune
      // left its segments to these steps (pauseSearchAutomerge).
      mergeSearch: db.prepare(`INSERT INTO message_fts (message_fts, rank) VALUES ('merge', ${SEARCH_MERGE_PAGES})`),
      // FTS5 takes neither as a bound parameter.
      automergeOff: db.prepare(`INSERT INTO message_fts (message_fts, rank) VALUES ('automerge', 0)`),
      automergeOn: db.prepare(`INSERT INTO message_fts (message_fts, rank) VALUES ('automerge', ${FTS5_AUTOMERGE})`),
      crisisMerge: (n: number) => db.prepare(`INSERT INTO message_fts (message_fts, rank) VALUES ('crisismerge', ${Math.floor(n)})`),
      totalChanges: db.prepare('SELECT total_changes()').pluck(),
    };
  }

  /** The seq of the first message that arrived at or after `cutoff` (MAX_SAFE_INTEGER: none). */
  firstYoungSeq(cutoff: number): number {
    return (this.stmts.firstYoungSeq.get(cutoff) as number | null) ?? Number.MAX_SAFE_INTEGER;
  }

  /** Messages with afterSeq < seq < beforeSeq received before `cutoff`, in arrival order (private: unstarred only). */
  agedPage(which: Ownership, afterSeq: number, beforeSeq: number, cutoff: number, limit: number): SeqId[] {
    return this.stmts.aged[which].all(afterSeq, beforeSeq, cutoff, limit) as SeqId[];
  }

  /** Public inboxes holding more than `max` unstarred messages. */
  publicInboxesOver(max: number): Array<GroupCount<string>> {
    return this.stmts.publicInboxesOver.all(max) as Array<GroupCount<string>>;
  }

  /** The oldest `n` unstarred messages of an inbox. */
  oldestInInbox(inbox: string, n: number): string[] {
    return this.stmts.oldestInInbox.all(inbox, n) as string[];
  }

  /** Accounts holding more than `max` messages: their private mail and the public mail they starred. */
  accountsOver(max: number): Array<GroupCount<number>> {
    return this.stmts.accountsOver.all(max) as Array<GroupCount<number>>;
  }

  /** One account's unstarred private mail with afterSeq < seq < beforeSeq received before `cutoff`, in arrival order. */
  agedOfAccount(ownerId: number, afterSeq: number, beforeSeq: number, cutoff: number, limit: number): SeqId[] {
    return this.stmts.agedOfAccount.all(afterSeq, beforeSeq, cutoff, ownerId, ownerId, limit) as SeqId[];
  }

  /** agedPage('private', ...) without the mail of these accounts (they have an age of their own). */
  agedPrivateExcept(ownerIds: number[], afterSeq: number, beforeSeq: number, cutoff: number, limit: number): SeqId[] {
    const ids = JSON.stringify(ownerIds);
    return this.stmts.agedPrivateExcept.all(afterSeq, beforeSeq, cutoff, ids, ids, limit) as SeqId[];
  }

  /** An account's count as accountsOver counts it: its private mail plus the public mail it starred. */
  accountCount(ownerId: number): number {
    return this.stmts.accountCount.get(ownerId, ownerId) as number;
  }

  /** The oldest `n` unstarred messages across an account's addresses. */
  oldestOfAccount(ownerId: number, n: number): string[] {
    return this.stmts.oldestOfAccount.all(ownerId, n) as string[];
  }

  /** Unstarred public messages after `afterSeq`, whatever their age, in arrival order. */
  oldestPublicPage(afterSeq: number, limit: number): SeqId[] {
    return this.stmts.oldestPublic.all(afterSeq, limit) as SeqId[];
  }

  /**
   * One bounded merge step of the search index (a deleted row's words stay
   * behind a tombstone until segments merge). False when there was nothing
   * left to merge (the step changed at most its own row).
   */
  mergeSearchStep(): boolean {
    const before = this.stmts.totalChanges.get() as number;
    this.stmts.mergeSearch.run();
    return (this.stmts.totalChanges.get() as number) - before > 1;
  }

  /**
   * While a prune deletes (issue 16): no automatic merges of the search
   * index. With FTS5 'secure-delete', every delete transaction adds a small
   * segment, and every few batches FTS5 merged segments right there, inside
   * the batch: 80-140 ms instead of 4 (scripts/bench/prune-slices.ts),
   * every group commit waiting behind it. The prune merges in bounded steps
   * after its deletes (mergeSearchStep) and then resumeSearchAutomerge puts
   * FTS5's defaults back. A crash in between leaves automerge off until the
   * next prune ends; the index stays correct, only more segments are read
   * meanwhile. Crisis merges (a level holding crisismerge segments) still
   * run, later than FTS5's 16.
   */
  pauseSearchAutomerge(): void {
    this.db.transaction(() => {
      this.stmts.automergeOff.run();
      this.stmts.crisisMerge(PRUNE_CRISISMERGE).run();
    })();
  }

  /** FTS5's default merge settings again (see pauseSearchAutomerge). */
  resumeSearchAutomerge(): void {
    this.db.transaction(() => {
      this.stmts.automergeOn.run();
      this.stmts.crisisMerge(FTS5_CRISISMERGE).run();
    })();
  }

  /** Bytes in use: pages of the file minus free pages. */
  usedBytes(): number {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * pageSize;
  }

  /** Whether free pages can be given back (auto_vacuum=INCREMENTAL is set when db.ts creates the file). */
  canVacuum(): boolean {
    return Number(this.db.pragma('auto_vacuum', { simple: true })) === 2;
  }

  freePages(): number {
    return this.db.pragma('freelist_count', { simple: true }) as number;
  }

  /** Gives up to `pages` free pages back to the file system (the file shrinks). */
  vacuumStep(pages: number): void {
    this.db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
  }
}
