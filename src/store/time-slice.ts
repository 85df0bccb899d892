// Time-slicing bulk deletes on the writer thread (issue 16): retention and
// "delete all" share the thread with the group commits that answer SMTP, so
// each batch is sized to a small time budget and the commits waiting meanwhile
// go first. Measured before: fixed 200-message batches took 60-140 ms each,
// and during a prune of 9,000 messages 4 senders fell from 510 to 42
// messages/s with the worst dot→250 at 233-712 ms.

/**
 * Lets the writes queued meanwhile commit before the next batch. Ingest
 * messages reach the writer thread in the poll phase after a batch, and the
 * group commit they schedule is a setImmediate queued behind ours: one turn
 * would run the next batch first, two let that commit go ahead of it.
 */
export const yieldToCommits = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
/**
 * Wall time one delete batch should take: the most a dot→250 waits on the
 * prune. 4 senders keep one message each in flight, so ingest during a prune
 * is about 4 per (slice + commit): with 10 ms slices it fell to 0.32 × its
 * rate before the prune in one bench run, hence less.
 */
export const SLICE_MS = 4;
/** Batch sizes that track a time budget: grows while batches are quick, shrinks when they are slow. */
export class TimeSlicer {
  private size: number;
  constructor(
    private readonly max: number,
    private readonly budgetMs = SLICE_MS,
  ) {
    this.size = Math.min(max, 16);
  }
  get next(): number {
    return this.size;
  }
  /** After a batch of `n` that took `ms`: the next batch aims at the budget. */
  took(n: number, ms: number): void {
    if (n <= 0) return;
    const perItem = Math.max(ms, 0.01) / n;
    const ideal = Math.floor(this.budgetMs / perItem);
    // At most double at a time: one fast batch (cached pages) is no promise.
    this.size = Math.max(1, Math.min(this.max, ideal, this.size * 2));
  }
}

/**
 * Rest after a slice, as a share of the slice, while mail is arriving. On two
 * cores a prune that deletes without rest keeps one core to itself, and the
 * SMTP thread, the parse worker and the senders share the other: in run J 4
 * senders fell to 0.40 × their rate before the prune although no commit
 * waited more than a slice. Resting as long as it worked leaves the prune at
 * most half a core while ingest is busy, and at full speed when it is not.
 */
export const REST_RATIO = 1;
/** The longest rest after one slice (a slow slice must not stall the prune for long). */
const MAX_REST_MS = 20;

/**
 * The pause between slices for a job sharing the writer thread with ingest:
 * yieldToCommits, then, when `busy()` says mail is arriving, a rest of
 * REST_RATIO × the time held since the last pause ended.
 */
export function restingPause(busy: () => boolean, ratio = REST_RATIO): () => Promise<void> {
  let resumed = performance.now();
  return async () => {
    const held = performance.now() - resumed;
    await yieldToCommits();
    if (busy()) {
      const rest = Math.min(MAX_REST_MS, held * ratio);
      if (rest >= 1) await new Promise((r) => setTimeout(r, rest));
    }
    resumed = performance.now();
  };
}
