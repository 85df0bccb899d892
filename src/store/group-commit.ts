// Group commit: every write submitted during one turn of the event loop is
// committed in a single SQLite transaction, so one fsync serves many SMTP
// sessions. Each submitter's promise settles only after that commit returned,
// which keeps "250 means durable" (GUIDE, "Durability") while the cost of the
// fsync is shared.
import type { DB } from './db.js';

interface Pending<R> {
  work: () => R;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter {
  private queue: Pending<any>[] = [];
  private scheduled = false;
  /** Largest number of writes committed together; for the bench and /healthz. */
  maxBatch = 0;
  commits = 0;

  constructor(private readonly db: DB, private readonly maxBatchSize = 256) {}

  submit<R>(work: () => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after pending I/O callbacks, so the other sessions
        // whose final dot arrived in the same poll phase join this batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatchSize);
      this.commitBatch(batch);
    }
  }

  private commitBatch(batch: Pending<any>[]): void {
    const results: unknown[] = [];
    try {
      this.db.transaction(() => {
        for (const p of batch) results.push(p.work());
      })();
    } catch (err) {
      // One failing write must not fail its neighbours: retry each alone so
      // only the writes that really cannot be stored are refused.
      if (batch.length > 1) for (const p of batch) this.commitBatch([p]);
      else batch[0].reject(err);
      return;
    }
    this.commits++;
    this.maxBatch = Math.max(this.maxBatch, batch.length);
    batch.forEach((p, i) => p.resolve(results[i]));
  }
}
