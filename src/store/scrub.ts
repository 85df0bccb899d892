// "Deleted" means gone (issue 13 item 8): after any delete, within a minute,
// no byte of the deleted mail is left in mailroom.db, its -wal or -shm.
//
// Where deleted bytes could survive, and what removes them:
// - table and index pages, free pages, overflow pages of a raw source:
//   secure_delete=ON (db.ts) zeroes them in the same transaction;
// - the search index: migration 004 set FTS5 'secure-delete', so deleting a
//   row rewrites the index leaf pages without its terms at once. Not all of
//   them: a segment whose rows are all deleted keeps its terms until it is
//   merged away (each small commit makes such a segment), and a term that
//   starts a leaf page stays in %_data and %_idx as the page's key until its
//   segment is rewritten. So a scrub runs FTS 'merge' in bounded steps,
//   which drops emptied segments; the page-key case needs the segment
//   rewritten ('optimize'), which only the data-rights erasure pays for;
// - the WAL: every page written before the delete is still there as an old
//   frame, and the main file keeps the old page image until a checkpoint
//   copies the new one over it. This is what stays behind after a delete,
//   and what a scrub removes: wal_checkpoint(TRUNCATE) copies every frame
//   into the file and cuts the WAL to zero bytes. It needs every reader to be
//   on the newest snapshot, so a busy checkpoint is retried.
// 'optimize' rewrites the whole index on the thread that answers SMTP
// (250-400 ms at 10,000 messages, growing with the store; scripts/bench/
// scrub.ts), against well under a millisecond for a 'merge' step and 4-30 ms
// for the checkpoint, so the scheduled scrub does not run it.
//
// ScrubScheduler makes scrubs cheap enough to follow every delete: the first
// delete starts a short quiet period, deletes during it extend it (a purge
// of many inboxes is one scrub), and a burst that never pauses is scrubbed
// after SCRUB_MAX_WAIT_MS anyway. A busy checkpoint is tried again shortly.
import type { DB } from './db.js';

/** A scrub starts this long after the last delete of a burst. */
export const SCRUB_QUIET_MS = 2_000;
/** ... and at the latest this long after the first delete it covers, however long the burst. */
export const SCRUB_MAX_WAIT_MS = 15_000;
/** A checkpoint that found a reader on an old snapshot is tried again after this. */
export const SCRUB_RETRY_MS = 1_000;
/** Pages one FTS 'merge' step may write, and steps per scrub (a turn of the event loop between steps). */
export const FTS_MERGE_PAGES = 64;
export const FTS_MERGE_STEPS = 32;

export interface ScrubResult {
  walTruncated: boolean;
  ms: number;
}

/** Folds the WAL into the database file and truncates it; busy when a reader still held an older snapshot. */
export function checkpointTruncate(db: DB): { busy: boolean } {
  const row = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
  return { busy: (row[0]?.busy ?? 0) !== 0 };
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One scrub on this connection: the search index merged in bounded steps
 * (or whole, fullIndexMerge), then checkpoint(TRUNCATE), a few quick tries
 * (a reader on the main thread finishes its statement within milliseconds).
 */
export async function scrubOnce(db: DB, opts: { tries?: number; fullIndexMerge?: boolean } = {}): Promise<ScrubResult> {
  const started = performance.now();
  if (opts.fullIndexMerge) db.prepare(`INSERT INTO message_fts (message_fts) VALUES ('optimize')`).run();
  else {
    const merge = db.prepare(`INSERT INTO message_fts (message_fts, rank) VALUES ('merge', ?)`);
    const changes = db.prepare('SELECT total_changes()').pluck();
    for (let step = 0; step < FTS_MERGE_STEPS; step++) {
      const before = changes.get() as number;
      merge.run(FTS_MERGE_PAGES);
      // The command row itself counts as one change: nothing more means nothing left to merge.
      if ((changes.get() as number) - before <= 1) break;
      await yieldTurn();
    }
  }
  const tries = Math.max(1, opts.tries ?? 5);
  for (let attempt = 0; attempt < tries; attempt++) {
    if (!checkpointTruncate(db).busy) return { walTruncated: true, ms: performance.now() - started };
    await new Promise((r) => setTimeout(r, 50));
  }
  return { walTruncated: false, ms: performance.now() - started };
}

export interface ScrubSchedulerOptions {
  quietMs?: number;
  maxWaitMs?: number;
  retryMs?: number;
  /** Told about each scrub (logs, tests); errors included. */
  onScrub?: (r: ScrubResult | { error: Error }) => void;
}

/** Debounces scrubs after deletes; see the top of this file. Timers do not keep a process alive. */
export class ScrubScheduler {
  private timer: NodeJS.Timeout | null = null;
  /** When the oldest delete not yet scrubbed happened (null: none pending). */
  private pendingSince: number | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  scrubs = 0;

  constructor(
    private readonly run: () => Promise<ScrubResult>,
    private readonly opts: ScrubSchedulerOptions = {},
  ) {}

  /** A delete committed: its bytes are scrubbed within maxWaitMs (plus one scrub's time). */
  deleted(now = Date.now()): void {
    if (this.closed) return;
    this.pendingSince ??= now;
    const quiet = this.opts.quietMs ?? SCRUB_QUIET_MS;
    const latest = this.pendingSince + (this.opts.maxWaitMs ?? SCRUB_MAX_WAIT_MS);
    this.arm(Math.max(0, Math.min(now + quiet, latest) - now));
  }

  /** Whether a scrub is owed. */
  get pending(): boolean {
    return this.pendingSince !== null;
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.fire();
    }, ms);
    this.timer.unref();
  }

  private async fire(): Promise<void> {
    if (this.closed) return;
    // One at a time: a delete during a scrub re-arms the timer, which waits here.
    if (this.running) await this.running;
    if (this.closed || this.pendingSince === null) return;
    const since = this.pendingSince;
    this.pendingSince = null;
    this.running = this.run().then(
      (r) => {
        this.scrubs++;
        this.opts.onScrub?.(r);
        // A reader held an old snapshot: the WAL still has the deleted pages.
        if (!r.walTruncated) this.owe(since, this.opts.retryMs ?? SCRUB_RETRY_MS);
      },
      (err: Error) => {
        this.opts.onScrub?.({ error: err });
        this.owe(since, this.opts.retryMs ?? SCRUB_RETRY_MS);
      },
    ).finally(() => {
      this.running = null;
    });
    await this.running;
  }

  private owe(since: number, retryMs: number): void {
    if (this.closed) return;
    this.pendingSince = Math.min(this.pendingSince ?? since, since);
    if (!this.timer) this.arm(retryMs);
  }

  /** Stops scheduling; waits for a scrub in progress, and with flush runs the one still owed. */
  async close(opts: { flush?: boolean } = {}): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (opts.flush && this.pendingSince !== null) await this.fire();
    this.closed = true;
    await this.running;
  }
}
