// Deleting many messages without holding the write lock for long (issue 10
// part 3): ids are taken a time-sliced batch at a time (time-slice.ts, at most
// DELETE_BATCH), each batch is its own IMMEDIATE
// transaction (it takes the lock up front, so a group commit in between can
// never turn it into SQLITE_BUSY half-way, bad-input 33), with a turn of the
// event loop between batches. In the appliance this runs on the writer thread
// (writer.ts), between group commits, so SMTP commits never wait on it; the
// CLI, a separate process, runs it on its own connection (busy_timeout).
import { verifyPragmas, type DB } from './db.js';
import type { MessageStore } from './messages.js';
import type { MessageQueries } from './message-queries.js';
import { scrubOnce } from './scrub.js';
import { TimeSlicer, yieldToCommits } from './time-slice.js';

export type MessageSelection =
  /** Every message of an inbox; keepStarred: Mailsac's "delete all" keeps starred ones. */
  | { kind: 'inbox'; inbox: string; keepStarred?: boolean }
  /** Every message of a domain (admins' "delete all domain mail"). */
  | { kind: 'domain'; domain: string };

/** What services ask for; the writer thread (writer.ts) and localEraser() both answer it. */
export interface MessageEraser {
  /** Deletes the selection in bounded batches; resolves with how many went. */
  deleteMessages(selection: MessageSelection): Promise<number>;
  /**
   * After an erasure (data rights): rewrites the whole search index, so no
   * deleted word survives as a page key, and truncates the WAL, so no
   * deleted page lingers there (store/scrub.ts). walTruncated false: a
   * reader held the WAL; the writer tries again shortly.
   */
  scrub(): Promise<{ walTruncated: boolean }>;
  /**
   * A delete committed outside deleteMessages (one message on the caller's
   * connection): its bytes are scrubbed within a minute (issue 13 item 8).
   * deleteMessages schedules that itself.
   */
  scrubSoon(): void;
}

export const DELETE_BATCH = 200;

export class BulkDelete {
  private readonly tx: (ids: string[]) => number;

  constructor(
    private readonly db: DB,
    private readonly messages: MessageStore,
    private readonly queries: MessageQueries,
  ) {
    const tx = db.transaction((ids: string[]) => {
      let n = 0;
      for (const id of ids) if (this.messages.delete(id)) n++;
      return n;
    });
    this.tx = (ids) => tx.immediate(ids);
  }

  /** Deletes these ids in one IMMEDIATE transaction; returns how many existed. */
  deleteIds(ids: string[]): number {
    return ids.length ? this.tx(ids) : 0;
  }

  /**
   * deleteIds, committed without an fsync of its own (synchronous=NORMAL:
   * WAL frames are synced at the next durable commit or checkpoint, never
   * torn). For retention only: a power cut can undo such a batch, never
   * corrupt the file, and the next prune deletes it again; the prune ends
   * with a checkpoint that syncs them all. Each batch used to pay a 2-4 ms
   * fsync for a handful of messages, so the time slicer kept batches tiny
   * (9,463 messages in 3,353 batches) and the prune's fsyncs queued with
   * the ones SMTP's 250s wait for (issue 16).
   */
  deleteIdsUnsynced(ids: string[]): number {
    if (!ids.length) return 0;
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.tx(ids);
    } finally {
      this.db.pragma('synchronous = FULL');
      verifyPragmas(this.db);
    }
  }

  private nextIds(s: MessageSelection, n: number): string[] {
    // Every message of the domain, ready or not (a delete must not miss one still processing).
    if (s.kind === 'domain') return this.queries.anyIds({ kind: 'domain', domain: s.domain }, n);
    const starred = s.keepStarred ? ' AND starred = 0' : '';
    return this.db.prepare(`SELECT id FROM messages WHERE inbox = ?${starred} LIMIT ?`).pluck().all(s.inbox, n) as string[];
  }

  async run(s: MessageSelection, opts: { batchSize?: number; pause?: () => Promise<void> } = {}): Promise<number> {
    const slicer = new TimeSlicer(Math.max(1, opts.batchSize ?? DELETE_BATCH));
    const pause = opts.pause ?? yieldToCommits;
    let total = 0;
    for (;;) {
      const t0 = performance.now();
      const ids = this.nextIds(s, slicer.next);
      if (!ids.length) return total;
      const n = this.deleteIds(ids);
      slicer.took(ids.length, performance.now() - t0);
      total += n;
      // Ids that vanished meanwhile would be selected again only if still there; none deleted means none left to take.
      if (n === 0) return total;
      await pause();
    }
  }

  /** Every id of an inbox, oldest arrival first (exports). */
  idsInArrivalOrder(inbox: string): string[] {
    return this.db.prepare(`SELECT id FROM messages WHERE inbox = ? ORDER BY seq`).pluck().all(inbox) as string[];
  }

  /** See MessageEraser.scrub: the whole search index rewritten, then the WAL truncated, now (store/scrub.ts). */
  async scrub(): Promise<{ walTruncated: boolean }> {
    return { walTruncated: (await scrubOnce(this.db, { fullIndexMerge: true })).walTruncated };
  }
}
