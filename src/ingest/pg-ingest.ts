// The ingest pipeline on the PostgreSQL engine (issue 14): what the writer
// thread and jobs/parse-queue.ts do for SQLite, for PgMessageWriter. A
// message is committed (durable) before ingest() resolves and the 250 goes
// out; it is then parsed in the walled worker pool (jobs/parse-pool.ts),
// off the event loop that answers SMTP, and its result committed with
// `ready` set and the ready event sent (to every node, pg-ready-events.ts).
// ParseQueue is not reused because it drives the synchronous SQLite
// repositories; the walls and the result are the same.
import type { Logger } from '../log.js';
import type { IncomingMessage, StoredIds } from '../store/messages.js';
import type { Sql } from '../store/pg/driver.js';
import type { PgMessageWriter } from '../store/pg/message-writer.js';
import { PgPendingMessages } from '../store/pg/pending-messages.js';
import { createParsePool, parseInWalls, type ParsePool } from '../jobs/parse-pool.js';
import { runOnOneNode } from '../store/pg/cluster-lock.js';

/** Raw bytes kept in memory for queued messages; past it they are read back from the database (as ParseQueue). */
const QUEUE_RAW_BYTES = 64 * 1024 * 1024;

interface Job {
  contentId: number;
  raw: Buffer | null;
}

export class PgIngest {
  private readonly queue: Job[] = [];
  private queuedRawBytes = 0;
  /** Handed to the pool, or being committed. */
  private readonly inFlight = new Set<number>();
  /** Content ids queued or in flight here: a sweep does not queue them again. */
  private readonly known = new Set<number>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private parsing = 0;
  private readonly maxInFlight: number;
  private readonly pending: PgPendingMessages;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  parsed = 0;
  failed = 0;
  /** Told each time a message leaves the backlog (smtp/backlog-gate.ts), as StoreWriter.watchBacklog. */
  private readonly backlogListeners: Array<(madeReady: number) => void> = [];

  constructor(
    private readonly sql: Sql,
    private readonly writer: PgMessageWriter,
    private readonly log: Logger,
    private readonly pool: ParsePool = createParsePool(),
  ) {
    this.maxInFlight = pool.size * 2;
    this.pending = new PgPendingMessages(sql);
  }

  /** The SMTP receiver's ingest (ReceiverDeps): resolves once the message is durable. */
  async ingest(message: IncomingMessage): Promise<StoredIds> {
    const ids = await this.writer.ingest(message);
    this.enqueue(ids.contentId, message.raw);
    return ids;
  }

  /** Past the final dot and not ready yet: uncommitted, queued or being parsed (the receiver's back-pressure). */
  get pendingMessages(): number {
    return this.writer.pendingMessages + this.length;
  }

  /** Of those, the ones not handed to a parse worker yet: uncommitted, or queued. */
  get queuedMessages(): number {
    return this.writer.pendingMessages + this.queue.length;
  }

  watchBacklog(listener: (madeReady: number) => void): void {
    this.backlogListeners.push(listener);
  }

  get length(): number {
    return this.queue.length + this.inFlight.size;
  }

  /**
   * Queues every message the database holds as received but not processed:
   * this node's crash leftovers, and those of a node that died. A message a
   * live node is parsing right now may be parsed twice; the result is the
   * same and its ready event is sent once (message-writer.ts).
   */
  async resume(): Promise<number> {
    const ids = await this.pending.all();
    for (const id of ids) if (!this.known.has(id)) this.enqueue(id);
    return ids.length;
  }

  /**
   * Queues messages pending for longer than `staleMs` that this node does not
   * hold: those of a node that died and is not coming back, or whose result
   * a database failover lost (results commit without waiting for a standby).
   * Runs on one node at a time (cluster-lock.ts); returns how many it queued,
   * or null when another node was sweeping.
   */
  async sweep(staleMs = 60_000): Promise<number | null> {
    const r = await runOnOneNode(this.sql, 'sweep-pending', async () => {
      const ids = await this.pending.receivedBefore(Date.now() - staleMs, 10_000);
      let queued = 0;
      for (const id of ids) {
        if (this.known.has(id)) continue;
        this.enqueue(id);
        queued++;
      }
      return queued;
    });
    if (r.ran && r.value) this.log.info({ count: r.value }, 'parsing messages left pending by another node');
    return r.ran ? r.value : null;
  }

  /** Sweeps every `intervalMs` until close(). */
  startSweeping(intervalMs = 60_000, staleMs = 60_000): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = setInterval(() => {
      this.sweep(staleMs).catch((err: Error) => this.log.warn({ err: { message: err.message } }, 'sweep of pending messages failed'));
    }, intervalMs);
    this.sweepTimer.unref();
  }

  /** Loads the parse worker kept however quiet the node is, before the first message needs it (WalledPool.warm). */
  warm(): Promise<void> {
    return this.pool.warm();
  }

  /** Resolves once everything queued is parsed and committed (tests, shutdown). */
  idle(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Finishes what is queued, then stops the parse workers. The writer and the pool of connections are the caller's. */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    // Messages still being committed are queued for parsing once they are.
    do {
      while (this.writer.pendingMessages > 0) await new Promise((r) => setTimeout(r, 5));
      await this.idle();
    } while (this.writer.pendingMessages > 0);
    this.closed = true;
    await this.pool.close();
  }

  private enqueue(contentId: number, raw?: Buffer): void {
    const keep = raw && this.queuedRawBytes + raw.length <= QUEUE_RAW_BYTES ? raw : null;
    if (keep) this.queuedRawBytes += keep.length;
    this.queue.push({ contentId, raw: keep });
    this.known.add(contentId);
    this.pump();
  }

  private pump(): void {
    if (this.closed) return;
    while (this.parsing < this.maxInFlight && this.queue.length) {
      const job = this.queue.shift()!;
      if (job.raw) this.queuedRawBytes -= job.raw.length;
      this.inFlight.add(job.contentId);
      this.parsing++;
      void this.process(job).finally(() => {
        this.inFlight.delete(job.contentId);
        this.known.delete(job.contentId);
        this.pump();
        this.notifyIdle();
        for (const l of this.backlogListeners) l(1);
      });
    }
    this.notifyIdle();
  }

  private async process(job: Job): Promise<void> {
    let raw: Buffer | null;
    try {
      raw = job.raw ?? (await this.pending.raw(job.contentId));
    } catch (err) {
      this.parsing--;
      // Still 'pending' in the database: parsed at the next resume.
      this.log.error({ err: { message: (err as Error).message }, content: job.contentId }, 'raw message not readable for parsing');
      return;
    }
    if (!raw) {
      this.parsing--;
      return; // deleted before it was parsed
    }
    const { parsed, bodyZ, rawZ } = await parseInWalls(this.pool, raw);
    this.parsing--;
    if (!parsed.ok) this.log.warn({ content: job.contentId, reason: parsed.error }, 'message kept unparsed');
    const committed = this.writer.applyParse(job.contentId, parsed, bodyZ, rawZ);
    // The last result of a burst need not wait for the batch timer.
    if (this.parsing === 0 && this.queue.length === 0) this.writer.flushDeferredSoon();
    this.pump();
    try {
      await committed;
      if (parsed.ok) this.parsed++;
      else this.failed++;
    } catch (err) {
      this.failed++;
      this.log.error({ err: { message: (err as Error).message }, content: job.contentId }, 'parse result not stored');
    }
  }

  private notifyIdle(): void {
    if (this.length !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }
}
