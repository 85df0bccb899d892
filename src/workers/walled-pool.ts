// A box with walls for work whose cost a stranger's bytes decide (issue 10
// part 2, GUIDE "A message's life"): MIME parsing, HTML sanitizing, HTML to
// text, cid inlining. Each worker thread holds ONE job at a time, so when a
// worker is killed (wall time) or dies (resourceLimits, a crash), the job it
// held is the culprit beyond doubt and fails alone; jobs still queued never
// touched that worker and simply run on its replacement. Before this, one
// worker held 32 messages and a single parse bomb failed them all for good.
import { availableParallelism } from 'node:os';
import type { ResourceLimits, Transferable, Worker } from 'node:worker_threads';
import { startWorker } from '../worker-entry.js';
import type { WalledReply, WalledRequest } from './walled-worker.js';

export interface WalledPoolOptions {
  /** A module that calls serveWalledJobs() (src/workers/walled-worker.ts). */
  entry: URL;
  /** Worker threads; default: one per core but one, at least one. */
  size?: number;
  /** Wall time a single job may take before its worker is terminated. */
  timeLimitMs: number;
  /** V8 heap limits of each worker: past them the worker dies, and only its job fails. */
  resourceLimits: ResourceLimits;
  /** Largest answer a job may return (strings count 2 bytes per char, buffers their length). */
  maxOutputBytes: number;
  /**
   * Hand each worker its next job while it still runs the current one, so it
   * does not idle until this thread gets round to the reply (issue 16: the
   * parse pool is driven from the writer thread, which spends its time in
   * commits). The worker runs its jobs one after the other, so when it dies
   * the job it had started is still the culprit; the one waiting behind it
   * never started and goes back to the front of the queue.
   */
  pipeline?: boolean;
  /**
   * A worker that has had no job for this long exits (issue 16, RSS: an idle
   * render worker holds jsdom, tens of MB), down to `keepIdle` workers; the
   * next job starts one again and waits for its modules to load (the wall
   * time starts after that). Absent: workers stay until the pool closes.
   */
  idleMs?: number;
  /** Workers kept however long they idle (default 0). */
  keepIdle?: number;
}

export type WallReason = 'time' | 'memory' | 'output' | 'crashed' | 'error';

/** A job that hit a wall (or threw). The reason is safe to store and show; never internals. */
export class WalledJobFailed extends Error {
  constructor(readonly reason: WallReason, detail = '') {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

interface Job {
  input: unknown;
  transfer: Transferable[];
  timeLimitMs: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  /** Posted behind `job` (pipeline): not started until `job` is answered. */
  next: { job: Job; reqId: number } | null;
  timer: NodeJS.Timeout | undefined;
  /** Set once we terminate it ourselves, so its exit is not read as a crash ('idle': retired, idleMs). */
  ending: WallReason | 'idle' | null;
  /** The request the worker is answering; a late reply to an older one is ignored. */
  reqId: number;
  /** The worker has loaded its modules: a job's wall time starts only then, not at boot. */
  ready: boolean;
  /** Runs out when the worker has idled for WalledPoolOptions.idleMs. */
  idleTimer: NodeJS.Timeout | undefined;
  /** Told when the worker has loaded, or has exited before it did (warm()). */
  loaded: Array<() => void>;
}

let nextId = 1;

export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class WalledPool<I, O> {
  readonly size: number;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private closed = false;
  /** Counters for health and tests. */
  readonly stats = { done: 0, failed: 0, killed: 0, retired: 0 };

  constructor(private readonly opts: WalledPoolOptions) {
    this.size = Math.max(1, opts.size ?? defaultPoolSize());
  }

  /** Worker threads running or starting, retiring ones excluded (health, tests). */
  get workers(): number {
    return [...this.slots].filter((s) => !s.ending).length;
  }

  get pending(): number {
    return this.queue.length + [...this.slots].reduce((n, s) => n + (s.job ? 1 : 0) + (s.next ? 1 : 0), 0);
  }

  /**
   * Runs one job. Rejects with WalledJobFailed when the job exceeds the wall
   * time, the memory limit or the output cap, or throws in the worker.
   * `transfer` moves buffers instead of copying them: only for inputs the
   * caller will not need again (nothing to retry with).
   */
  run(input: I, options: { transfer?: Transferable[]; timeLimitMs?: number } = {}): Promise<O> {
    if (this.closed) return Promise.reject(new WalledJobFailed('error', 'pool closed'));
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, transfer: options.transfer ?? [], timeLimitMs: options.timeLimitMs ?? this.opts.timeLimitMs, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /**
   * Starts workers, without a job, until `count` are running or starting
   * (at most the pool size), and resolves once each has loaded its modules.
   * A parse worker takes 0.3-3 s to load mailparser and the rest (more on a
   * busy machine): warmed when the node starts, the first message after it
   * does not wait for that. Resolves, never rejects: a worker that dies while
   * loading is reported to the next job, as without warming.
   */
  warm(count = this.opts.keepIdle ?? 1): Promise<void> {
    const want = Math.min(this.size, count);
    while (!this.closed && this.workers < want) this.spawn();
    const loading = [...this.slots].filter((s) => !s.ready && !s.ending);
    return Promise.all(loading.map((s) => new Promise<void>((resolve) => s.loaded.push(resolve)))).then(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new WalledJobFailed('error', 'pool closed'));
    await Promise.all(
      [...this.slots].map((s) => {
        s.ending = 'error';
        clearTimeout(s.timer);
        clearTimeout(s.idleTimer);
        s.job?.reject(new WalledJobFailed('error', 'pool closed'));
        s.next?.job.reject(new WalledJobFailed('error', 'pool closed'));
        s.job = null;
        s.next = null;
        return s.worker.terminate();
      }),
    );
    this.slots.clear();
  }

  private pump(): void {
    while (this.queue.length && !this.closed) {
      const slot = [...this.slots].find((s) => s.ready && !s.job && !s.ending);
      if (slot) {
        this.dispatch(slot, this.queue.shift()!);
        continue;
      }
      const busy = this.opts.pipeline ? [...this.slots].find((s) => s.ready && s.job && !s.next && !s.ending) : undefined;
      if (busy && this.slots.size >= this.size) {
        this.prepost(busy, this.queue.shift()!);
        continue;
      }
      // Start workers for the jobs waiting, up to the pool size; each one
      // pumps again when it is ready.
      const booting = [...this.slots].filter((s) => !s.ready && !s.ending).length;
      if (this.slots.size < this.size && booting < this.queue.length) {
        this.spawn();
        continue;
      }
      return;
    }
  }

  private spawn(): Slot {
    const worker = startWorker(this.opts.entry, {
      resourceLimits: this.opts.resourceLimits,
      workerData: { maxOutputBytes: this.opts.maxOutputBytes },
    });
    // Booting for a waiting job: a caller awaits it, so the process stays up
    // (idle workers are unref'd below, and must not keep a CLI or a test alive).
    const slot: Slot = { worker, job: null, next: null, timer: undefined, ending: null, reqId: 0, ready: false, idleTimer: undefined, loaded: [] };
    worker.on('message', (reply: WalledReply | { ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true;
        slot.worker.unref();
        for (const tell of slot.loaded.splice(0)) tell();
        this.pump();
        this.idleClock(slot);
      } else this.onReply(slot, reply);
    });
    worker.on('error', (err: Error & { code?: string }) => {
      // ERR_WORKER_OUT_OF_MEMORY is resourceLimits doing its job.
      if (!slot.ending) slot.ending = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crashed';
    });
    worker.on('exit', () => this.onExit(slot));
    this.slots.add(slot);
    return slot;
  }

  private dispatch(slot: Slot, job: Job): void {
    clearTimeout(slot.idleTimer);
    slot.job = job;
    slot.worker.ref();
    const req: WalledRequest = { id: nextId++, input: job.input };
    slot.reqId = req.id;
    this.startClock(slot, job);
    this.post(slot, req, job);
  }

  /** Posts a job behind the one the worker runs; its clock starts when that one is answered. */
  private prepost(slot: Slot, job: Job): void {
    const req: WalledRequest = { id: nextId++, input: job.input };
    slot.next = { job, reqId: req.id };
    this.post(slot, req, job);
  }

  private post(slot: Slot, req: WalledRequest, job: Job): void {
    try {
      slot.worker.postMessage(req, job.transfer);
    } catch {
      slot.worker.postMessage(req);
    }
  }

  private startClock(slot: Slot, job: Job): void {
    slot.timer = setTimeout(() => {
      // Wall time: the worker may be stuck in synchronous code, so it is
      // terminated, not asked. Its replacement starts on the next job.
      slot.ending = 'time';
      this.stats.killed++;
      void slot.worker.terminate();
    }, job.timeLimitMs);
    slot.timer.unref?.();
  }

  private onReply(slot: Slot, reply: WalledReply): void {
    const job = slot.job;
    if (!job || reply.id !== slot.reqId) return;
    clearTimeout(slot.timer);
    slot.job = null;
    if (slot.next) {
      // The worker has moved on to the job posted behind this one: its clock starts now.
      slot.job = slot.next.job;
      slot.reqId = slot.next.reqId;
      slot.next = null;
      this.startClock(slot, slot.job);
    } else slot.worker.unref();
    if (reply.ok) {
      this.stats.done++;
      job.resolve(reply.output);
    } else {
      this.stats.failed++;
      job.reject(new WalledJobFailed(reply.reason, reply.message));
    }
    this.pump();
    this.idleClock(slot);
  }

  /** Starts the idle countdown of a worker left without a job (idleMs). */
  private idleClock(slot: Slot): void {
    const idleMs = this.opts.idleMs;
    if (idleMs === undefined || slot.job || slot.ending || this.closed) return;
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => this.retire(slot), idleMs);
    slot.idleTimer.unref?.();
  }

  private retire(slot: Slot): void {
    if (slot.job || slot.ending || this.closed) return;
    if (this.workers <= (this.opts.keepIdle ?? 0)) return;
    // Idle, so no job of anyone's is lost; pump() starts a worker again when one comes.
    slot.ending = 'idle';
    this.stats.retired++;
    void slot.worker.terminate();
  }

  private onExit(slot: Slot): void {
    clearTimeout(slot.timer);
    clearTimeout(slot.idleTimer);
    this.slots.delete(slot);
    for (const tell of slot.loaded.splice(0)) tell();
    const job = slot.job;
    slot.job = null;
    // The job posted behind the culprit never started: it runs elsewhere.
    if (slot.next) {
      if (this.closed) slot.next.job.reject(new WalledJobFailed('error', 'pool closed'));
      else this.queue.unshift(slot.next.job);
      slot.next = null;
    }
    if (job) {
      // Only this worker's own job: the culprit. Queued jobs are untouched.
      this.stats.failed++;
      job.reject(new WalledJobFailed(slot.ending && slot.ending !== 'idle' ? slot.ending : 'crashed'));
    } else if (!slot.ready && !slot.ending && !this.closed) {
      // It died while loading: no job is to blame, and respawning would loop.
      for (const queued of this.queue.splice(0)) queued.reject(new WalledJobFailed('crashed', 'worker failed to start'));
    }
    this.pump();
  }
}

/** Bytes an answer occupies, for the output cap: linear in its size, no serialisation. */
export function outputBytes(v: unknown, depth = 0): number {
  if (typeof v === 'string') return v.length * 2;
  if (typeof v === 'number' || typeof v === 'boolean' || v == null) return 8;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (v instanceof ArrayBuffer) return v.byteLength;
  if (depth > 64) return 0;
  let n = 0;
  if (Array.isArray(v)) for (const x of v) n += outputBytes(x, depth + 1);
  else if (typeof v === 'object') for (const [k, x] of Object.entries(v as object)) n += k.length * 2 + outputBytes(x, depth + 1);
  return n;
}
