// Group commit: every write submitted during one turn of the event loop is
// committed in a single SQLite transaction, so one fsync serves many SMTP
// sessions. Each submitter's promise settles only after that commit returned,
// which keeps "250 means durable" (GUIDE, "Durability") while the cost of the
// fsync is shared.
import { StoreConfigError, type DB } from './db.js';

interface Pending<R> {
  work: () => R;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/** How long a deferred write may wait to be batched with others. */
const DEFER_MS = 20;
/**
 * Deferred writes that may ride along with an urgent commit (see flushUrgent):
 * each adds its own work (~60-90 µs for a 5 KB parse result) to the wait of
 * the SMTP clients in that commit, so only a few, against a commit of their
 * own saved (its WAL frames, the two `synchronous` flips).
 */
const MAX_RIDERS = 16;

export class GroupCommitter {
  private urgent: Pending<any>[] = [];
  private deferred: Pending<any>[] = [];
  private scheduled = false;
  private deferTimer: NodeJS.Timeout | undefined;
  /** Largest number of writes committed together; for the bench and /healthz. */
  maxBatch = 0;
  commits = 0;

  constructor(
    private readonly db: DB,
    private readonly maxBatchSize = 256,
    private readonly maxDeferredBatch = 64,
  ) {}

  /** A write someone is waiting on (an SMTP client before its 250): committed as soon as possible. */
  submit<R>(work: () => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.urgent.push({ work, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after pending I/O callbacks, so the other sessions
        // whose final dot arrived in the same poll phase join this batch.
        setImmediate(() => this.flushUrgent());
      }
    });
  }

  /**
   * A write nobody is waiting on and that can be rebuilt (parse results, which
   * are derived from the stored raw bytes). It is committed in its own,
   * separate batches, a little later, so it never lengthens an SMTP client's
   * wait; and without an fsync of its own: the next urgent commit's fsync
   * makes it durable too (the WAL is synced as a whole). A crash before that
   * loses only derived rows, which stay 'pending' and are parsed again at start.
   */
  submitDeferred<R>(work: () => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.deferred.push({ work, resolve, reject });
      if (this.deferred.length >= this.maxDeferredBatch) setImmediate(() => this.flushDeferred());
      else this.deferTimer ??= setTimeout(() => this.flushDeferred(), DEFER_MS);
    });
  }

  /**
   * Deferred writes waiting at that moment ride along, up to MAX_RIDERS: they
   * become durable with this commit's fsync, and their separate commit would
   * have written many of the same pages again (the newest rows of contents and
   * messages, the indexes' right edges) as WAL frames of 16 KiB each (issue 16,
   * run S). A deferred write is never held back waiting for an urgent one.
   */
  private flushUrgent(): void {
    this.scheduled = false;
    while (this.urgent.length) this.commitBatch([...this.urgent.splice(0, this.maxBatchSize), ...this.deferred.splice(0, MAX_RIDERS)]);
    if (!this.deferred.length) {
      clearTimeout(this.deferTimer);
      this.deferTimer = undefined;
    }
  }

  /**
   * Commits the deferred writes waiting now, on the next turn, instead of
   * after DEFER_MS: for a caller that knows no more are coming soon (the
   * parse queue when nothing else is being parsed), so a lone message is not
   * kept from being ready by a timer (issue 16).
   */
  flushDeferredSoon(): void {
    if (!this.deferred.length) return;
    clearTimeout(this.deferTimer);
    this.deferTimer = setTimeout(() => this.flushDeferred(), 0);
  }

  private flushDeferred(): void {
    clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    // An urgent commit runs later in this turn (setImmediate) and takes these along.
    if (this.scheduled && this.deferred.length <= MAX_RIDERS) return;
    if (this.deferred.length) this.commitBatch(this.deferred.splice(0, this.maxDeferredBatch), false);
    if (this.deferred.length) this.deferTimer = setTimeout(() => this.flushDeferred(), 0);
  }

  private commitBatch(batch: Pending<any>[], durable = true): void {
    const results: unknown[] = [];
    try {
      // db.exec, not db.pragma: pragma() builds a JS statement object per
      // call (a few µs each) and SQLite applies `synchronous` while
      // compiling the statement, so a cached prepared one would not flip it
      // at all (issue 16, run Q).
      if (!durable) this.db.exec('PRAGMA synchronous = OFF');
      this.db.transaction(() => {
        for (const p of batch) results.push(p.work());
      })();
    } catch (err) {
      // One failing write must not fail its neighbours: retry each alone so
      // only the writes that really cannot be stored are refused.
      if (batch.length > 1) for (const p of batch) this.commitBatch([p], durable);
      else batch[0].reject(err);
      return;
    } finally {
      if (!durable) {
        this.db.exec('PRAGMA synchronous = FULL');
        // Read back, as at open (db.ts verifyPragmas): the next urgent commit
        // must wait for its fsync again. journal_mode is not read again: no
        // statement on this connection changes it.
        const sync = Number(this.db.pragma('synchronous', { simple: true }));
        if (sync !== 2) throw new StoreConfigError(`refusing to go on: synchronous=${sync} after a deferred batch; Mailroom needs 2 (FULL) to keep its 250 promise`);
      }
    }
    this.commits++;
    this.maxBatch = Math.max(this.maxBatch, batch.length);
    batch.forEach((p, i) => p.resolve(results[i]));
  }
}
