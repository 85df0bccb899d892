// Parsing happens after the 250, from the stored raw bytes, in a worker
// thread: the slow, hostile-input-facing work stays off the path between the
// final dot and the reply and off the event loop that answers SMTP (issue 7),
// and a parser failure can never lose a message that was already
// acknowledged (GUIDE: "store raw first, parse from it").
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import type { MessageStore, ReadyCopies } from '../store/messages.js';
import type { GroupCommitter } from '../store/group-commit.js';
import type { ParsedMessage } from '../mail/types.js';
import type { ParseRequest } from './parse-worker.js';
import { siblingModule, startWorker } from '../worker-entry.js';

/** Messages handed to the worker at once: enough to keep it busy, few enough to bound memory. */
const IN_FLIGHT = 32;
/** Raw bytes kept in memory for queued messages; past it they are read back from the store. */
const QUEUE_RAW_BYTES = 64 * 1024 * 1024;
/** A single parse that takes longer than this means hostile input: the worker is replaced. */
const WORKER_DEADLINE_MS = 30_000;

interface Job {
  contentId: number;
  raw: Buffer | null;
}

export class ParseQueue {
  private readonly queue: Job[] = [];
  private queuedRawBytes = 0;
  private readonly inFlight = new Map<number, number>(); // contentId -> dispatched at
  private worker: Worker | null = null;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  parsed = 0;
  failed = 0;

  constructor(
    private readonly messages: MessageStore,
    private readonly committer: GroupCommitter,
    private readonly log: Logger,
    /** Told after a processing result (ok or failed) committed: the message is ready (issue 10). */
    private readonly onReady: (contentId: number, ok: boolean, copies: ReadyCopies) => void = () => {},
  ) {}

  enqueue(contentId: number, raw?: Buffer): void {
    const keep = raw && this.queuedRawBytes + raw.length <= QUEUE_RAW_BYTES ? raw : null;
    if (keep) this.queuedRawBytes += keep.length;
    this.queue.push({ contentId, raw: keep });
    this.pump();
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

  /** Resolves once every queued message is parsed and its result committed (tests, shutdown). */
  idle(): Promise<void> {
    if (this.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
    clearInterval(this.deadlineTimer);
    await this.worker?.terminate();
    this.worker = null;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(siblingModule(import.meta.url, 'parse-worker'));
    w.unref();
    w.on('message', (msg: { contentId: number; parsed: ParsedMessage; bodyZ: Uint8Array }) =>
      this.onResult(msg.contentId, msg.parsed, Buffer.from(msg.bodyZ.buffer, msg.bodyZ.byteOffset, msg.bodyZ.byteLength)),
    );
    w.on('error', (err) => this.log.error({ err: { message: err.message } }, 'parse worker failed'));
    w.on('exit', () => {
      if (this.worker !== w) return;
      this.worker = null;
      this.failInFlight('parser stopped');
    });
    this.worker = w;
    this.deadlineTimer ??= setInterval(() => this.checkDeadline(), 1000).unref();
    return w;
  }

  private pump(): void {
    if (this.closed) return;
    while (this.inFlight.size < IN_FLIGHT && this.queue.length) {
      const job = this.queue.shift()!;
      if (job.raw) this.queuedRawBytes -= job.raw.length;
      const raw = job.raw ?? this.messages.raw(job.contentId);
      if (!raw) continue; // deleted before it was parsed
      this.inFlight.set(job.contentId, Date.now());
      const req: ParseRequest = { contentId: job.contentId, raw };
      this.ensureWorker().postMessage(req);
    }
    this.notifyIdle();
  }

  private onResult(contentId: number, parsed: ParsedMessage, bodyZ?: Buffer): void {
    if (!this.inFlight.delete(contentId)) return;
    // Structured clone turns Buffers into Uint8Arrays.
    for (const a of parsed.attachments) a.content = Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength);
    this.store(contentId, parsed, bodyZ);
    this.pump();
  }

  private store(contentId: number, parsed: ParsedMessage, bodyZ?: Buffer): void {
    this.inFlight.set(contentId, Number.POSITIVE_INFINITY); // committing: not a worker deadline matter
    // Parse results ride along with the next group commit instead of paying for an fsync of their own.
    this.committer
      .submitDeferred(() => this.messages.applyParse(contentId, parsed, bodyZ))
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

  /** A parse past its deadline: replace the worker and record the message as unparseable. */
  private checkDeadline(): void {
    const now = Date.now();
    for (const [, at] of this.inFlight) {
      if (at !== Number.POSITIVE_INFINITY && now - at > WORKER_DEADLINE_MS) {
        const w = this.worker;
        this.worker = null;
        void w?.terminate();
        this.failInFlight('parsing took too long');
        return;
      }
    }
  }

  private failInFlight(reason: string): void {
    for (const [contentId, at] of [...this.inFlight]) {
      if (at === Number.POSITIVE_INFINITY) continue;
      this.log.warn({ content: contentId, reason }, 'message kept unparsed');
      this.store(contentId, unparsed(reason));
    }
  }

  private notifyIdle(): void {
    if (this.length !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }
}

function unparsed(reason: string): ParsedMessage {
  return { ok: false, error: reason, subject: '', from: [], to: [], cc: [], bcc: [], replyTo: [], date: null, messageId: '', text: '', html: '', headers: [], links: [], attachments: [] };
}
