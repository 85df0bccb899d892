// Parsing happens after the 250, from the stored raw bytes, in walled worker
// threads: the slow, hostile-input-facing work stays off the path between
// the final dot and the reply and off the event loop that answers SMTP
// (issue 7), and a parser failure can never lose a message that was already
// acknowledged (GUIDE: "store raw first, parse from it").
//
// Each worker holds one message at a time (WalledPool), so a message that
// exceeds its wall time or memory fails alone, kept raw and flagged; the
// others were never in that worker and are parsed by its replacement
// (issue 10: one parse bomb used to fail every message in flight for good).
import type { Logger } from '../log.js';
import type { MessageStore, ReadyCopies } from '../store/messages.js';
import type { GroupCommitter } from '../store/group-commit.js';
import type { ParsedMessage } from '../mail/types.js';
import { createParsePool, parseInWalls, type ParsePool } from './parse-pool.js';

/** Raw bytes kept in memory for queued messages; past it they are read back from the store. */
const QUEUE_RAW_BYTES = 64 * 1024 * 1024;

interface Job {
  contentId: number;
  raw: Buffer | null;
  /** Whether the parse worker should deflate the raw source for storage (false: already stored so). */
  packRaw: boolean;
}

export class ParseQueue {
  private readonly queue: Job[] = [];
  private queuedRawBytes = 0;
  /** Messages handed to the pool or being committed. */
  private readonly inFlight = new Set<number>();
  /** Of those, the ones in the pool: only these count against maxInFlight, so parsing never waits on a group commit. */
  private parsing = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private held = false;
  private readonly pool: ParsePool;
  /** Handed to the pool at once: one per worker and one waiting each, so a worker never idles between messages. */
  private readonly maxInFlight: number;
  parsed = 0;
  failed = 0;

  constructor(
    private readonly messages: MessageStore,
    private readonly committer: GroupCommitter,
    private readonly log: Logger,
    /** Told after a processing result (ok or failed) committed: the message is ready (issue 10). */
    private readonly onReady: (contentId: number, ok: boolean, copies: ReadyCopies) => void = () => {},
    pool: ParsePool = createParsePool(),
  ) {
    this.pool = pool;
    this.maxInFlight = pool.size * 2;
  }

  /** packRaw false: the raw source is stored deflated at the kept level already (MessageStore.insertReceived), so the worker does not deflate it again. */
  enqueue(contentId: number, raw?: Buffer, { packRaw = true }: { packRaw?: boolean } = {}): void {
    const keep = raw && this.queuedRawBytes + raw.length <= QUEUE_RAW_BYTES ? raw : null;
    if (keep) this.queuedRawBytes += keep.length;
    this.queue.push({ contentId, raw: keep, packRaw });
    this.pump();
  }

  /** Loads the parse worker that is kept however quiet the node is, before the first message needs it (WalledPool.warm). */
  warm(): Promise<void> {
    return this.pool.warm();
  }

  /** Queues every message left unparsed by a crash or restart. */
  resume(): number {
    const pending = this.messages.pendingParse();
    for (const id of pending) this.enqueue(id);
    return pending.length;
  }

  get length(): number {
    return this.queue.length + this.inFlight.size;
  }

  /** Queued and not yet handed to a parse worker: 0 means the workers could take more (smtp/backlog-gate.ts). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves once every queued message is parsed and its result committed (tests, shutdown). */
  idle(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops handing messages to the pool (true) until told to go on (false); messages in the pool finish. */
  hold(on: boolean): void {
    this.held = on;
    if (!on) this.pump();
  }

  async close(): Promise<void> {
    // Held back (a test, a tool) at shutdown: go on, or idle() below would never resolve.
    this.hold(false);
    await this.idle();
    this.closed = true;
    await this.pool.close();
  }

  private pump(): void {
    if (this.closed || this.held) return;
    while (this.parsing < this.maxInFlight && this.queue.length) {
      const job = this.queue.shift()!;
      if (job.raw) this.queuedRawBytes -= job.raw.length;
      const raw = job.raw ?? this.messages.raw(job.contentId);
      if (!raw) continue; // deleted before it was parsed
      this.inFlight.add(job.contentId);
      this.parsing++;
      void parseInWalls(this.pool, raw, undefined, { packRaw: job.packRaw }).then(({ parsed, bodyZ, rawZ }) => {
        this.parsing--;
        if (!parsed.ok) this.log.warn({ content: job.contentId, reason: parsed.error }, 'message kept unparsed');
        this.store(job.contentId, parsed, bodyZ, rawZ);
        this.pump();
      });
    }
    this.notifyIdle();
  }

  private store(contentId: number, parsed: ParsedMessage, bodyZ?: Buffer, rawZ?: Buffer): void {
    // Parse results ride along with the next group commit instead of paying for an fsync of their own.
    const committed = this.committer.submitDeferred(() => this.messages.applyParse(contentId, parsed, bodyZ, rawZ));
    // Batching only pays while more results are on their way; the last one
    // need not wait for the batch timer (up to 20 ms of 250→ready, issue 16).
    if (this.parsing === 0 && this.queue.length === 0) this.committer.flushDeferredSoon();
    committed
      .then(
        (copies) => {
          if (parsed.ok) this.parsed++;
          else this.failed++;
          this.onReady(contentId, parsed.ok, copies);
        },
        (err) => {
          // The raw message stays, still 'pending', and is parsed again at the next start.
          this.failed++;
          this.log.error({ err: { message: (err as Error).message }, content: contentId }, 'parse result not stored');
        },
      )
      .finally(() => {
        this.inFlight.delete(contentId);
        this.pump();
      });
  }

  private notifyIdle(): void {
    if (this.length !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }
}
