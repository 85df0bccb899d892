// One budget of memory for mail being received, across every SMTP session
// (issue 10: ten concurrent 25 MB messages from one IP added 1 GB of RSS;
// per-session size limits bound one message, not their sum). A session takes
// its DATA bytes as they arrive and gives them back once its message is
// committed or dropped.

/**
 * Copies of a message's bytes alive at once between its first DATA byte and
 * its commit, which is what the budget charges per byte. On the main thread
 * the chunks as they arrived are copied into one whole buffer and dropped
 * (two copies for a moment); that buffer moves to the writer thread without
 * a copy, where SQLite copies it when it is bound (better-sqlite3 binds blobs
 * SQLITE_TRANSIENT) and again into the row it builds for the insert (three).
 * Counted once, ten 25 MB messages (240 MB of DATA, under the 256 MiB
 * default) added 637-910 MB of RSS; counted three times, three of them are
 * received at once and the growth measured 311-336 MB, parsing included
 * (test/security/stranger-bytes.test.ts).
 */
export const COPIES_UNTIL_COMMITTED = 3;

export class DataBudget {
  private used = 0;

  /** `limit`: bytes of memory (smtp.maxDataBytesInFlight), each DATA byte costing COPIES_UNTIL_COMMITTED. */
  constructor(readonly limit: number) {}

  /** DATA bytes held right now (their memory is COPIES_UNTIL_COMMITTED times this). */
  get inFlight(): number {
    return this.used;
  }

  /** True while new transactions should be told to come back later. */
  get exhausted(): boolean {
    return this.used * COPIES_UNTIL_COMMITTED >= this.limit;
  }

  /** Whether `n` more DATA bytes would fit now. */
  fits(n: number): boolean {
    return (this.used + n) * COPIES_UNTIL_COMMITTED <= this.limit;
  }

  /** Takes `n` DATA bytes if they fit; false (nothing taken) if they would cross the limit. */
  take(n: number): boolean {
    if (!this.fits(n)) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}
