// One budget of DATA bytes held in memory across every SMTP session (issue 10:
// ten concurrent 25 MB messages from one IP added 1 GB of RSS; per-session
// size limits bound one message, not their sum). A session takes bytes as
// they arrive and gives them back once its message is stored or dropped.
export class DataBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.used;
  }

  /** True while new transactions should be told to come back later. */
  get exhausted(): boolean {
    return this.used >= this.limit;
  }

  /** Takes `n` bytes if they fit; false (nothing taken) if they would cross the limit. */
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}
