// Parsing happens after the 250, from the stored raw bytes: the slow,
// hostile-input-facing work stays off the path between the final dot and the
// reply (issue 7), and a parser failure can never lose a message that was
// already acknowledged (GUIDE: "store raw first, parse from it").
import type { Logger } from '../log.js';
import type { MessageStore } from '../store/messages.js';
import { parseMessage } from '../mail/parse.js';

export class ParseQueue {
  private readonly queue: number[] = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];
  parsed = 0;
  failed = 0;

  constructor(private readonly messages: MessageStore, private readonly log: Logger) {}

  enqueue(contentId: number): void {
    this.queue.push(contentId);
    if (!this.running) void this.run();
  }

  /** Queues every message left unparsed by a crash or restart. */
  resume(): number {
    const pending = this.messages.pendingParse();
    for (const id of pending) this.enqueue(id);
    return pending.length;
  }

  get length(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  /** Resolves once the queue is empty (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length) {
        const id = this.queue.shift()!;
        await this.parseOne(id);
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
    }
  }

  private async parseOne(contentId: number): Promise<void> {
    try {
      const raw = this.messages.raw(contentId);
      if (!raw) return; // deleted before it was parsed
      const parsed = await parseMessage(raw);
      this.messages.applyParse(contentId, parsed);
      if (parsed.ok) this.parsed++;
      else this.failed++;
    } catch (err) {
      // The store refused the parsed form; the raw message stays and is retried at next start.
      this.failed++;
      this.log.error({ err: { message: (err as Error).message }, content: contentId }, 'parse result not stored');
    }
  }
}
