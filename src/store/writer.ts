// The main thread's handle on the writer thread (writer-thread.ts): hands it
// incoming messages and resolves each promise only after the message is
// committed, so the SMTP 250 still means durable.
import { Worker } from 'node:worker_threads';
import type { IncomingMessage, StoredIds } from './messages.js';
import type { FromWriter, ToWriter, WriterOptions, WriterStats } from './writer-protocol.js';
import type { PruneResult, RetentionPolicy } from '../jobs/retention.js';
import { siblingModule, startWorker } from '../worker-entry.js';
import type { MessageEraser, MessageSelection } from './bulk-delete.js';
import type { LocalReadyEvents } from '../ingest/ready-events.js';

export class StoreWriteError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

interface Pending<T> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

export class StoreWriter implements MessageEraser {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly ingests = new Map<number, Pending<StoredIds>>();
  private readonly idles = new Map<number, Pending<void>>();
  private readonly prunes = new Map<number, Pending<PruneResult>>();
  private readonly deletes = new Map<number, Pending<{ count: number; walTruncated: boolean }>>();
  private closing: Promise<void> | null = null;
  stats: WriterStats = { commits: 0, maxBatch: 0, parseQueue: 0, parsed: 0, parseFailed: 0 };
  /** Acknowledged messages not yet ready, as the writer thread last told (issue 16 back-pressure). */
  private reportedBacklog = 0;
  /** Told of every backlog report, with how many messages it says were made ready (smtp/backlog-gate.ts). */
  private readonly backlogListeners: Array<(madeReady: number) => void> = [];
  /** Of the backlog, messages queued for a parse worker and not in one yet, as last reported. */
  private reportedWaiting = 0;

  private constructor(
    private readonly options: WriterOptions,
    private readonly ready?: LocalReadyEvents,
  ) {}

  /**
   * Starts the writer thread and waits until its database is open. Messages
   * that become ready (their processing committed) are published on `ready`.
   */
  static async start(options: WriterOptions, ready?: LocalReadyEvents): Promise<StoreWriter> {
    const w = new StoreWriter(options, ready);
    await w.spawn();
    return w;
  }

  private spawn(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = startWorker(siblingModule(import.meta.url, 'writer-thread'), {
        workerData: this.options,
      });
      this.worker = worker;
      let ready = false;
      const onMessage = (msg: FromWriter): void => {
        if (msg.type === 'batch') {
          for (const m of msg.messages) onMessage(m);
        } else if (msg.type === 'ready') {
          ready = true;
          this.stats = msg.stats;
          resolve();
        } else if (msg.type === 'fatal') {
          reject(new StoreWriteError(msg.code, msg.message));
        } else this.onMessage(msg);
      };
      worker.on('message', onMessage);
      worker.on('error', (err) => {
        if (!ready) reject(err);
      });
      worker.on('exit', () => {
        if (this.worker !== worker) return;
        this.worker = null;
        // Whatever was not confirmed was not stored: those clients get a 4xx and retry.
        const lost = new StoreWriteError('EWRITER', 'writer thread stopped');
        for (const p of this.ingests.values()) p.reject(lost);
        this.ingests.clear();
        for (const p of this.idles.values()) p.resolve();
        this.idles.clear();
        for (const p of this.prunes.values()) p.reject(lost);
        this.prunes.clear();
        for (const p of this.deletes.values()) p.reject(lost);
        this.deletes.clear();
        if (ready && !this.closing) void this.spawn().catch(() => {});
      });
    });
  }

  private onMessage(msg: FromWriter): void {
    switch (msg.type) {
      case 'stored':
        this.reportedBacklog = msg.backlog;
        this.reportedWaiting = msg.waiting;
        this.ingests.get(msg.id)?.resolve(msg.ids);
        this.ingests.delete(msg.id);
        this.backlogReport(0);
        break;
      case 'message-ready':
        this.reportedBacklog = msg.backlog;
        this.reportedWaiting = msg.waiting;
        this.ready?.publish(msg.notice);
        this.backlogReport(1);
        break;
      case 'backlog':
        this.reportedBacklog = msg.backlog;
        this.reportedWaiting = msg.waiting;
        this.backlogReport(msg.madeReady);
        break;
      case 'failed':
        this.ingests.get(msg.id)?.reject(new StoreWriteError(msg.code, msg.message));
        this.ingests.delete(msg.id);
        break;
      case 'idle':
        this.stats = msg.stats;
        this.idles.get(msg.id)?.resolve();
        this.idles.delete(msg.id);
        break;
      case 'pruned': {
        const p = this.prunes.get(msg.id);
        this.prunes.delete(msg.id);
        if (msg.result) p?.resolve(msg.result);
        else p?.reject(new StoreWriteError('EPRUNE', msg.error ?? 'prune failed'));
        break;
      }
      case 'deleted': {
        const p = this.deletes.get(msg.id);
        this.deletes.delete(msg.id);
        if (msg.count !== null) p?.resolve({ count: msg.count, walTruncated: msg.walTruncated ?? false });
        else p?.reject(new StoreWriteError('EDELETE', msg.error ?? 'delete failed'));
        break;
      }
      case 'stats':
      case 'closed':
        this.stats = msg.stats;
        this.reportedBacklog = msg.stats.parseQueue;
        this.backlogReport(0);
        break;
    }
  }

  /** Listens to the backlog reports: `madeReady` messages left the backlog since the last one. */
  watchBacklog(listener: (madeReady: number) => void): void {
    this.backlogListeners.push(listener);
  }

  private backlogReport(madeReady: number): void {
    for (const l of this.backlogListeners) l(madeReady);
  }

  private post(msg: ToWriter, transfer?: ArrayBuffer[]): void {
    if (!this.worker) throw new StoreWriteError('EWRITER', 'writer thread not running');
    this.worker.postMessage(msg, transfer);
  }

  /**
   * Stores one received message. The raw buffer is handed over to the writer
   * thread (transferred, not copied) when it owns its memory; do not use it after.
   */
  ingest(message: IncomingMessage): Promise<StoredIds> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.ingests.set(id, { resolve, reject });
      const raw = message.raw;
      const whole = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && !(raw.buffer instanceof SharedArrayBuffer);
      const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
      try {
        this.post({ type: 'ingest', id, message: { ...message, raw: bytes } }, whole ? [raw.buffer as ArrayBuffer] : undefined);
      } catch (err) {
        this.ingests.delete(id);
        reject(err as Error);
      }
    });
  }

  /**
   * Messages past their final dot that are not ready yet: those the writer
   * thread holds unprocessed, plus those on their way to it (not committed yet).
   */
  get pendingMessages(): number {
    return this.reportedBacklog + this.ingests.size;
  }

  /** Of those, the ones not handed to a parse worker yet: on their way to the writer thread, or queued there. */
  get queuedMessages(): number {
    return this.reportedWaiting + this.ingests.size;
  }

  /** Holds processing back or lets it go on (tests and tools that need a backlog). */
  holdParsing(on: boolean): void {
    if (this.worker) this.post({ type: 'hold-parsing', on });
  }

  /** Resolves once every stored message has been parsed and its result committed. */
  parseIdle(): Promise<void> {
    if (!this.worker) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.idles.set(id, { resolve, reject });
      this.post({ type: 'idle', id });
    });
  }

  /** Runs retention (jobs/retention.ts) on the writer thread, between its group commits. */
  prune(policy: RetentionPolicy, now: number): Promise<PruneResult> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.prunes.set(id, { resolve, reject });
      try {
        this.post({ type: 'prune', id, now, policy });
      } catch (err) {
        this.prunes.delete(id);
        reject(err as Error);
      }
    });
  }

  private deleteRequest(msg: { type: 'delete-messages'; selection: MessageSelection } | { type: 'scrub' }): Promise<{ count: number; walTruncated: boolean }> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.deletes.set(id, { resolve, reject });
      try {
        this.post({ ...msg, id });
      } catch (err) {
        this.deletes.delete(id);
        reject(err as Error);
      }
    });
  }

  /** Deletes many messages on the writer thread, in batches between group commits (store/bulk-delete.ts). */
  async deleteMessages(selection: MessageSelection): Promise<number> {
    return (await this.deleteRequest({ type: 'delete-messages', selection })).count;
  }

  /** Merges the search index and truncates the WAL after an erasure, on the writer's connection. */
  async scrub(): Promise<{ walTruncated: boolean }> {
    return { walTruncated: (await this.deleteRequest({ type: 'scrub' })).walTruncated };
  }

  /** A delete committed on the main thread's connection: the writer scrubs after it (store/scrub.ts). */
  scrubSoon(): void {
    if (this.worker) this.post({ type: 'scrub-soon' });
  }

  /** Asks a prune in progress to stop after its current batch. */
  abortPrune(): void {
    if (this.worker) this.post({ type: 'abort-prune' });
  }

  /** Waits for queued parsing, closes the writer's database and ends the thread. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const worker = this.worker;
      if (!worker) return resolve();
      worker.once('exit', () => resolve());
      this.post({ type: 'close' });
    });
    return this.closing;
  }
}
