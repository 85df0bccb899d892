// MessageEraser (bulk-delete.ts) on PostgreSQL (issue 14): "delete all" of an
// inbox or a domain in bounded batches, each its own short transaction
// (delete-messages.ts), so no node's ingest waits behind one long delete.
// Batches follow BulkDelete.run: time-sliced (time-slice.ts), here measured
// against the round trips of a shared server rather than a writer thread's
// group commits, so the budget is larger.
//
// Scrubbing. SQLite's scrub truncates a WAL we own and merges the search
// index; on PostgreSQL neither exists in our hands: the server's WAL is
// recycled by its checkpoints and archived (or not) by the operator's
// setup. What we can do is make deleted rows stop existing as rows:
// a plain VACUUM of the message tables (and their TOAST tables and GIN
// search index) removes the dead tuples and their index entries, and lets
// the space be reused. It takes no lock that blocks reads or writes, so it
// runs while every node keeps ingesting. VACUUM does not zero the freed
// bytes inside a page, nor does it shrink the files (VACUUM FULL would,
// under an exclusive lock on every node: not done). docs/scaling.md says so.
// scrub() runs that VACUUM now; scrubSoon() and every deleteMessages() run
// it within SCRUB_MAX_WAIT_MS, debounced like SQLite's (scrub.ts). Autovacuum
// would get there too, at its own pace.
import type { MessageEraser, MessageSelection } from '../bulk-delete.js';
import { DELETE_BATCH } from '../bulk-delete.js';
import { ScrubScheduler, type ScrubResult } from '../scrub.js';
import { TimeSlicer } from '../time-slice.js';
import type { Sql } from './driver.js';
import { deleteMessageBatch } from './delete-messages.js';

/** The tables a message's bytes live in (their TOAST tables and indexes come with them). */
const MESSAGE_TABLES = 'messages, contents, attachments, blobs';

/** Wall time a batch aims at: a few round trips to a shared server, still short enough that no lock is held for long. */
const PG_SLICE_MS = 50;

/** VACUUM of the message tables: dead tuples of deleted mail gone from tables and indexes. Cannot run inside a transaction. */
export async function vacuumMessageTables(sql: Sql): Promise<ScrubResult> {
  const started = performance.now();
  await sql.unsafe(`VACUUM ${MESSAGE_TABLES}`);
  // Nothing of ours can be held back the way a SQLite reader holds the WAL.
  return { walTruncated: true, ms: performance.now() - started };
}

export interface PgEraserOptions {
  batchSize?: number;
  /** Between batches; default: the next turn of the event loop. */
  pause?: () => Promise<void>;
  onScrub?: (r: ScrubResult | { error: Error }) => void;
}

export class PgEraser implements MessageEraser {
  private readonly scrubber: ScrubScheduler;

  constructor(
    private readonly sql: Sql,
    private readonly opts: PgEraserOptions = {},
  ) {
    this.scrubber = new ScrubScheduler(() => vacuumMessageTables(sql), { onScrub: opts.onScrub });
  }

  async deleteMessages(s: MessageSelection): Promise<number> {
    const slicer = new TimeSlicer(Math.max(1, this.opts.batchSize ?? DELETE_BATCH), PG_SLICE_MS);
    const pause = this.opts.pause ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    let total = 0;
    try {
      for (;;) {
        const t0 = performance.now();
        const ids = await this.nextIds(s, slicer.next);
        if (!ids.length) return total;
        const n = await deleteMessageBatch(this.sql, ids);
        slicer.took(ids.length, performance.now() - t0);
        total += n;
        // As BulkDelete.run: none deleted means another node took them, and none are left to take.
        if (n === 0) return total;
        await pause();
      }
    } finally {
      if (total > 0) this.scrubber.deleted();
    }
  }

  /** BulkDelete.nextIds: a domain's every message, ready or not; an inbox's, unstarred only with keepStarred. */
  private async nextIds(s: MessageSelection, n: number): Promise<string[]> {
    const rows =
      s.kind === 'domain'
        ? await this.sql<{ id: string }[]>`SELECT id FROM messages WHERE domain = ${s.domain} LIMIT ${n}`
        : s.keepStarred
          ? await this.sql<{ id: string }[]>`SELECT id FROM messages WHERE inbox = ${s.inbox} AND NOT starred LIMIT ${n}`
          : await this.sql<{ id: string }[]>`SELECT id FROM messages WHERE inbox = ${s.inbox} LIMIT ${n}`;
    return rows.map((r) => r.id);
  }

  async scrub(): Promise<{ walTruncated: boolean }> {
    return { walTruncated: (await vacuumMessageTables(this.sql)).walTruncated };
  }

  scrubSoon(): void {
    this.scrubber.deleted();
  }

  /** Stops the pending scrub timer; flush: runs the owed scrub first (shutdown). */
  close(opts: { flush?: boolean } = {}): Promise<void> {
    return this.scrubber.close(opts);
  }
}
