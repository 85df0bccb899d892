// The webhook delivery queue shared by the nodes (issue 14): each node takes
// due deliveries with FOR UPDATE SKIP LOCKED, so two nodes polling at once
// take different rows instead of waiting on each other or posting the same
// delivery twice, and leases them (next_at moves to the lease's end) in the
// same statement, as WebhookStore.lease does for one process. A node that
// dies mid-attempt leaves the lease to run out; the delivery is then due
// again for any node (at least once, as on SQLite).
import type { Sql } from './driver.js';

export interface ClaimedDelivery {
  id: number;
  userId: number;
  address: string;
  messageId: string;
  kind: 'webhook' | 'slack';
  url: string;
  created: number;
  /** This attempt's number (1 for the first). */
  attempts: number;
  /** The end of this node's lease on it. */
  nextAt: number;
}

/** Up to `limit` pending deliveries due at `now`, oldest due first, leased to this node until `leaseUntil`. */
export async function claimDueDeliveries(sql: Sql, now: number, limit: number, leaseUntil: number): Promise<ClaimedDelivery[]> {
  const rows = await sql<ClaimedDelivery[]>`
    UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_at = ${leaseUntil}
    FROM (
      SELECT id FROM webhook_deliveries
      WHERE state = 'pending' AND next_at <= ${now}
      ORDER BY next_at, id LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ) due
    WHERE d.id = due.id
    RETURNING d.id, d.user_id AS "userId", d.address, d.message_id AS "messageId", d.kind, d.url, d.created, d.attempts, d.next_at AS "nextAt"`;
  return [...rows].sort((a, b) => a.id - b.id);
}
