// Back-pressure on processing (issue 16): SMTP acceptance is paced to the
// speed at which messages become ready, so the backlog of acknowledged but
// not yet ready messages stays short instead of growing without end (its
// memory and every reader's wait grew with it).
//
// The bound is in time, not only in count. A fixed count is the wrong unit:
// 5,000 messages of 5 KB are ~4 s of processing on two cores, 5,000 of
// 200 KB ~30 s. So the gate measures the processing rate (messages made
// ready per second, an exponentially weighted average over the writer's
// ready reports) and lets the backlog be at most
//     min(max(rate × smtp.maxPendingSeconds, floor) + starved, smtp.maxPendingMessages)
// - the floor keeps every parse worker fed (a few batches for each), so the
//   gate never throttles processing itself; and when processing is stalled
//   (rate falling to 0) the backlog can still drain and refill up to it;
// - the bound measures the rate it lets through, so if the pipeline's own
//   latency (commit, parse, result commit) exceeded maxPendingSeconds, a
//   bound of rate × seconds would starve the workers and shrink the rate it
//   is computed from. So every report that says no message is queued for a
//   parse worker (the workers could take more) adds one to the bound
//   ("starved" above; never past one more than the backlog then, so a light
//   load, whose workers always find nothing queued, does not pile it up), and
//   that addition fades with time (halved every second) once the workers are
//   fed: the bound settles where processing just never waits for input. A
//   stalled worker has messages queued, so a stall never raises it;
// - smtp.maxPendingMessages stays the absolute cap (and 0 turns the gate off);
// - smtp.maxPendingSeconds 0 bounds by count only.
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
  /** smtp.maxPendingMessages: the absolute cap; 0: no gate at all. */
  maxMessages: number;
  /** smtp.maxPendingSeconds: the backlog in seconds of processing; 0: count only. */
  maxSeconds: number;
  /** smtp.maxPendingWaitSeconds in ms: how long a reply is held before 451; 0: 451 at once. */
  maxWaitMs: number;
  /** The least bound, whatever the rate: enough to keep every parse worker fed. */
  floor: number;
  /** Acknowledged messages not yet ready, as the writer last reported it. */
  pending: () => number;
  /** Milliseconds, monotonic; injected by tests. */
  now?: () => number;
}

/** The rate average's time constant: it follows a change of load within a second or two. */
const RATE_TAU_MS = 500;
/** Shortest interval folded into the average: a single report says little about a rate. */
const RATE_SAMPLE_MS = 100;
/** How fast what starved workers added to the bound fades once they are fed. */
const BOOST_HALF_LIFE_MS = 1000;

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
  /** Added to the bound while the parse workers are starved; fades with time (BOOST_HALF_LIFE_MS). */
  private boost = 0;
  private boostAt: number;
  private readonly now: () => number;

  constructor(private readonly o: BacklogGateOptions) {
    this.now = o.now ?? (() => performance.now());
    this.sampleStart = this.now();
    this.boostAt = this.sampleStart;
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

  /** The backlog allowed now. */
  bound(): number {
    const { maxMessages, maxSeconds } = this.o;
    if (maxMessages <= 0) return Infinity;
    if (maxSeconds <= 0) return maxMessages;
    return Math.min(maxMessages, this.baseBound() + Math.floor(this.fadedBoost()));
  }

  /** The bound before what starved workers added: rate × seconds, at least the floor. */
  private baseBound(): number {
    return Math.max(this.o.floor, Math.ceil(this.processingRate * this.o.maxSeconds));
  }

  /**
   * A backlog report from the writer: `madeReady` messages left the backlog
   * since the last one (0 when only the count changed); `starved`: no
   * message is queued for a parse worker. Feeds the rate and lets waiters in
   * while there is room (one more when the workers are starved).
   */
  report(madeReady: number, starved = false): void {
    // One more than the backlog now at most: enough to let one more in, never a pile.
    if (starved) this.boost = Math.min(this.fadedBoost() + 1, Math.max(0, this.o.pending() + 1 - this.baseBound()));
    if (madeReady > 0) {
      this.sampleCount += madeReady;
      this.fold(this.now());
    }
    this.drain(starved);
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
    if (!this.enabled || this.open || (this.waiters.length === 0 && this.o.pending() < this.bound())) {
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

  /** The starvation boost, faded to now: halved every BOOST_HALF_LIFE_MS. */
  private fadedBoost(): number {
    const t = this.now();
    if (this.boost > 0) this.boost *= 0.5 ** ((t - this.boostAt) / BOOST_HALF_LIFE_MS);
    this.boostAt = t;
    return this.boost;
  }

  /**
   * Lets waiters in while there is room. Held replies are let in a quarter
   * of the bound at a time, once the backlog has fallen that far below it
   * (at once when the workers are starved): released together they share one
   * group commit, where one at a time, each on a ready report, would cost the
   * writer a commit per message.
   */
  private drain(starved = false): void {
    const bound = this.bound();
    if (!starved && this.waiters.length && this.o.pending() > bound - Math.max(1, Math.floor(bound / 4))) return this.arm();
    while (this.waiters.length && this.o.pending() < this.bound()) {
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
