// Messages between the main thread and the writer thread.
import type { IncomingMessage, StoredIds } from './messages.js';
import type { PruneResult, RetentionPolicy } from '../jobs/retention.js';
import type { MessageSelection } from './bulk-delete.js';
import type { ReadyNotice } from '../ingest/ready-events.js';

export interface WriterOptions {
  dataDir: string;
  logLevel: string;
  /** Hard cap on the database size; past it writes fail with SQLITE_FULL (0: none). */
  maxDatabaseBytes: number;
}

export interface WriterStats {
  commits: number;
  maxBatch: number;
  parseQueue: number;
  parsed: number;
  parseFailed: number;
}

export type ToWriter =
  | { type: 'ingest'; id: number; message: Omit<IncomingMessage, 'raw'> & { raw: Uint8Array } }
  | { type: 'idle'; id: number }
  /** Retention (issue 4) runs here, between group commits, so SMTP writes never wait on a lock. */
  | { type: 'prune'; id: number; now: number; policy: RetentionPolicy }
  | { type: 'abort-prune' }
  /** Bulk deletes (issue 10 part 3) run here too, in batches between group commits. */
  | { type: 'delete-messages'; id: number; selection: MessageSelection }
  | { type: 'scrub'; id: number }
  /** A delete committed on another connection: scrub within a minute (store/scrub.ts, issue 13 item 8). */
  | { type: 'scrub-soon' }
  /** Holds processing back (true) or lets it go on (false): for tests and tools that need a backlog. */
  | { type: 'hold-parsing'; on: boolean }
  | { type: 'close' };

export type FromWriter =
  /** Several of the others, in order: what one turn of the writer thread sent (writer-thread.ts send). */
  | { type: 'batch'; messages: FromWriter[] }
  | { type: 'ready'; stats: WriterStats }
  | { type: 'fatal'; message: string; code: string }
  /**
   * backlog: acknowledged messages not yet ready, this one included (issue 16
   * back-pressure); waiting: those of them queued for a parse worker, not in one yet.
   */
  | { type: 'stored'; id: number; ids: StoredIds; backlog: number; waiting: number }
  /** A message's processing result committed: it is listed from now on (issue 10). */
  | { type: 'message-ready'; notice: ReadyNotice; backlog: number; waiting: number }
  /**
   * The backlog now: after a processing result for a message deleted
   * meanwhile (madeReady 1, no ready notice), or after messages were handed
   * to the parse workers (madeReady 0: the queue shrank, so held replies may go in).
   */
  | { type: 'backlog'; backlog: number; waiting: number; madeReady: 0 | 1 }
  | { type: 'failed'; id: number; code: string; message: string }
  | { type: 'idle'; id: number; stats: WriterStats }
  | { type: 'stats'; stats: WriterStats }
  | { type: 'pruned'; id: number; result: PruneResult | null; error?: string }
  | { type: 'deleted'; id: number; count: number | null; walTruncated?: boolean; error?: string }
  | { type: 'closed'; stats: WriterStats };
