// The webhook queue's store side (issue 11, issue 14): what the sender
// (push/webhook-queue.ts) reads and writes, behind one asynchronous interface
// so it runs on either engine. On SQLite one process owns the queue
// (sqlite-delivery-queue.ts: WebhookStore's due, lease and settle); on
// PostgreSQL several nodes share it and claim rows with FOR UPDATE SKIP
// LOCKED (pg/delivery-queue.ts), so each attempt is made by one node.
// Either way an attempt leases its row until its deadline: a taker that
// dies mid-attempt leaves the row due again (at least once).
import type { Delivery } from './webhooks.js';

/** One attempt as the activity log records it. */
export interface AttemptLine {
  at: number;
  status: number | null;
  latencyMs: number;
  error: string;
}

/** What follows an attempt: done, given up, or due again at retryAt. */
export type AttemptOutcome = 'delivered' | 'failed' | { retryAt: number };

export interface DeliveryQueue {
  /**
   * Up to `limit` pending deliveries due at `now`, each leased to this taker
   * until `leaseUntil` with its attempt counted (Delivery.attempts is this
   * attempt's number, nextAt the lease's end). No row goes to two takers.
   */
  claim(now: number, limit: number, leaseUntil: number): Promise<Delivery[]>;
  /** Records the attempt's line and its outcome; nothing when the delivery was erased meanwhile (data rights). */
  settle(d: Delivery, line: AttemptLine, outcome: AttemptOutcome): Promise<void>;
  /** Forgets finished deliveries and activity older than `before` (epoch ms). */
  prune(before: number): Promise<void>;
  /** The account's signing secret, created on first use. */
  secretFor(userId: number): Promise<string>;
  /** webhookSlackToFrom of the address a Slack delivery was queued for (`*@domain`: the account domain's). */
  slackToFrom(address: string): Promise<boolean>;
}
