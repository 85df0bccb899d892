// Back-pressure on processing (issue 16): SMTP acceptance is paced to the
// speed at which messages become ready, so the backlog of acknowledged but
// not yet ready messages stays short instead of growing without end (its
// memory and every reader's wait grew with it).
//
// Two bounds:
// - smtp.maxPendingMessages caps the whole backlog (acknowledged or being
//   stored, not ready yet): its memory, whatever the rate; 0 turns the gate off.
// - smtp.maxPendingSeconds bounds, in time, the part of it that waits for a
//   parse worker (the queue). A count is the wrong unit there: 5,000
//   messages of 5 KB are ~4 s of processing on two cores, 5,000 of 200 KB
//   ~30 s. So the gate measures the processing rate (messages made ready per
//   second, an exponentially weighted average over the writer's reports) and
//   lets the queue be at most max(rate × smtp.maxPendingSeconds, floor).
//   The rest of the backlog (the messages in a parse worker, results waiting
//   for their commit) is bounded by the pipeline itself (two per worker, one
//   deferred batch) and is not the gate's to limit: run O bounded the whole
//   backlog in time, and results waiting for their batched commit then
//   counted as a full backlog while the workers had nothing to do; processing
//   fell 20-40%, and an addition to the bound while the workers were starved
//   only partly made up for it. Bounding the queue alone cannot starve the
//   workers: when they want more, the queue is empty, below any bound.
//   The floor (8 per worker) keeps the queue from running dry between group
//   commits while the rate is low or not measured yet; with the rate falling
//   to 0 (processing stalled) the bound falls back to it, never to 0.
// So a message waits after its 250 at most about smtp.maxPendingSeconds for
// a parse worker, plus its own parse and commit.
//
// Where: the reply to the final dot, not 421 4.3.2 at connect. Load comes
// mostly over persistent (and pipelined) sessions; a 421 to new connections
// would not slow a sender that already holds one. The final dot is the one
// point every message passes, and the check is made at the moment the
// message would join the backlog.
//
// How: the reply is HELD, not refused at once. An application sender (a test
// suite on nodemailer) fails on a 451 where an MTA would queue and retry; a
// held reply just makes it wait, which is what pacing means. The message is
// not stored while held, and its bytes stay charged to the DATA budget
// (smtp.maxDataBytesInFlight), which bounds the memory the held replies take.
// Waiters are woken by the writer's backlog reports (no polling), first come
// first served so every sender gets its turn, and a message arriving while
// others wait queues behind them even if there is room. They are let in a
// quarter of the bound at a time, so they share group commits. After
// smtp.maxPendingWaitSeconds a waiter gets 451 4.3.0 (RFC 3463: other or
// undefined mail system status; 4.3.1 "storage full" is what the disk floor
// and the DATA budget say, and storage is fine here): the message stays with
// the sender, which retries (RFC 5321 §4.2.5, §6.1). RFC 5321 §4.5.3.2.6
// gives the client 10 minutes for the reply to the final dot; the wait must
// stay below smtp.socketTimeoutMs, after which smtp-server drops an idle
// session (the receiver uses at most half of it). All waiters share one
// maximum wait and join in order, so their deadlines are in order too: one
// timer, for the oldest. At shutdown held messages are stored (release()).
// One message let in must count in pending() before go(true) returns (the
// store counts it synchronously; serve.ts counts those looking up forwards),
// or one report would let every waiter in.

export interface BacklogGateOptions {
  /** smtp.maxPendingMessages: the cap on pending(); 0: no gate at all. */
  maxMessages: number;
  /** smtp.maxPendingSeconds: the queue (queued()) in seconds of processing; 0: the cap alone. */
  maxSeconds: number;
  /** smtp.maxPendingWaitSeconds in ms: how long a reply is held before 451; 0: 451 at once. */
  maxWaitMs: number;
  /** The least bound on the queue, whatever the rate: enough to keep every parse worker fed. */
  floor: number;
  /** Acknowledged (or being stored) messages not yet ready, as the writer last reported it. */
  pending: () => number;
  /** Of those, the ones not handed to a parse worker yet (being stored, or queued); default: pending(). */
  queued?: () => number;
  /** Milliseconds, monotonic; injected by tests. */
  now?: () => number;
}

/** The rate average's time constant: it follows a change of load within a second or two. */
const RATE_TAU_MS = 500;
/** Shortest interval folded into the average: a single report says little about a rate. */
const RATE_SAMPLE_MS = 100;

export interface Waiter {
  readonly deadline: number;
  /** true: store it now; false: the wait ran out, answer 451. */
  readonly go: (admitted: boolean) => void;
}

export type GateRefusal = { code: 451; message: string };

export const BACKLOG_REFUSAL: GateRefusal = { code: 451, message: '4.3.0 Too much mail waiting to be processed, try again later' };

export class BacklogGate {
  /** Messages told 451 because the wait ran out (or smtp.maxPendingWaitSeconds is 0). */
  refused = 0;
  /** Messages whose reply was held and that were then stored. */
  waited = 0;
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Messages made ready per second, averaged; 0 until the first sample. */
  private rate = 0;
  private sampleStart: number;
  private sampleCount = 0;
  private open = false;
  private readonly now: () => number;
  private readonly queued: () => number;

  constructor(private readonly o: BacklogGateOptions) {
    this.now = o.now ?? (() => performance.now());
    this.queued = o.queued ?? o.pending;
    this.sampleStart = this.now();
  }

  get enabled(): boolean {
    return this.o.maxMessages > 0;
  }

  /** Replies held right now. */
  get held(): number {
    return this.waiters.length;
  }

  /** The processing rate the bound is computed from (messages made ready per second). */
  get processingRate(): number {
    this.fold(this.now());
    return this.rate;
  }

  /** The queue allowed now (smtp.maxPendingSeconds), or the cap when there is no time bound. */
  bound(): number {
    const { maxMessages, maxSeconds } = this.o;
    if (maxMessages <= 0) return Infinity;
    if (maxSeconds <= 0) return maxMessages;
    return Math.min(maxMessages, Math.max(this.o.floor, Math.ceil(this.processingRate * maxSeconds)));
  }

  /**
   * How many more messages may join now (≤ 0: none), and out of how many:
   * the tighter of the cap on the backlog and the bound on the queue.
   */
  private room(): { free: number; of: number } {
    const cap = { free: this.o.maxMessages - this.o.pending(), of: this.o.maxMessages };
    if (this.o.maxSeconds <= 0) return cap;
    const bound = this.bound();
    const queue = { free: bound - this.queued(), of: bound };
    return queue.free < cap.free ? queue : cap;
  }

  /**
   * A backlog report from the writer: `madeReady` messages left the backlog
   * since the last one (0 when only the counts changed). Feeds the rate and
   * lets waiters in while there is room.
   */
  report(madeReady: number): void {
    if (madeReady > 0) {
      this.sampleCount += madeReady;
      this.fold(this.now());
    }
    this.drain();
  }

  /**
   * A final dot: `go(true)` at once (synchronously) when the message may be
   * stored, or later when room was made; `go(false)` when the wait ran out.
   * Returns the waiter when the reply is held (for cancel), else null.
   * `go(true)` must add the message to pending() before it returns (the
   * store's ingest counts it synchronously), so one report lets in only as
   * many waiters as there is room for.
   */
  admit(go: (admitted: boolean) => void): Waiter | null {
    if (!this.enabled || this.open || (this.waiters.length === 0 && this.room().free > 0)) {
      go(true);
      return null;
    }
    if (this.o.maxWaitMs <= 0) {
      this.refused++;
      go(false);
      return null;
    }
    const waiter: Waiter = { deadline: this.now() + this.o.maxWaitMs, go };
    this.waiters.push(waiter);
    if (this.waiters.length === 1) this.arm();
    // Room may have been made since the last report (a cancel, a bound that grew).
    this.drain();
    return this.waiters.includes(waiter) ? waiter : null;
  }

  /** The sender went away while its reply was held: nothing is stored. */
  cancel(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    this.drain();
  }

  /**
   * Shutdown: every held message is stored now, and so is any that reaches
   * its final dot from here on. The writer is still running while the
   * receiver closes (serve.ts closes the engine after the listeners), the
   * bytes are already here, and the few messages this adds to the backlog
   * are bounded by the DATA budget; a 451 would make each of those senders
   * send the whole message again.
   */
  release(): void {
    this.open = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const all = this.waiters.splice(0);
    for (const w of all) {
      this.waited++;
      w.go(true);
    }
  }

  /**
   * Lets waiters in while there is room. Held replies are let in a quarter
   * of the bound at a time, once there is that much room: released together
   * they share one group commit, where one at a time, each on a ready
   * report, would cost the writer a commit per message. `go(true)` counts
   * its message in pending() and queued() before it returns.
   */
  private drain(): void {
    if (this.waiters.length) {
      const { free, of } = this.room();
      if (free < Math.max(1, Math.floor(of / 4))) return this.arm();
    }
    while (this.waiters.length && this.room().free > 0) {
      const w = this.waiters.shift()!;
      this.waited++;
      w.go(true);
    }
    this.arm();
  }

  /** One timer, for the oldest waiter's deadline (the others' come after it). */
  private arm(): void {
    const head = this.waiters[0];
    if (!head) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.expire();
    }, Math.max(0, head.deadline - this.now()));
  }

  private expire(): void {
    const t = this.now();
    while (this.waiters.length && this.waiters[0].deadline <= t) {
      this.refused++;
      this.waiters.shift()!.go(false);
    }
    this.arm();
  }

  /** Folds the ready reports since the last sample into the average: rate += w × (sample − rate), w = 1 − e^(−Δt/τ). */
  private fold(t: number): void {
    const dt = t - this.sampleStart;
    if (dt < RATE_SAMPLE_MS) return;
    const sample = (this.sampleCount * 1000) / dt;
    this.rate += (1 - Math.exp(-dt / RATE_TAU_MS)) * (sample - this.rate);
    this.sampleStart = t;
    this.sampleCount = 0;
  }
}
