// DeliveryQueue on the PostgreSQL engine (issue 14): the nodes share the
// queue. claim() is claimDueDeliveries (webhook-claims.ts: FOR UPDATE SKIP
// LOCKED and the lease in one statement), so two nodes polling at once take
// different rows; settle() records the attempt only if the delivery is still
// there, in one statement, as WebhookStore.settle does in one transaction.
import type { Sql } from './driver.js';
import type { DeliveryQueue } from '../delivery-queue.js';
import { claimDueDeliveries } from './webhook-claims.js';
import { pgBillpushRepositories } from './billpush-repositories.js';
import { pgPruneWebhookHistory } from './retention.js';

export function pgDeliveryQueue(sql: Sql): DeliveryQueue {
  const { webhooks } = pgBillpushRepositories(sql);
  return {
    async claim(now, limit, leaseUntil) {
      const claimed = await claimDueDeliveries(sql, now, limit, leaseUntil);
      return claimed.map((d) => ({ ...d, state: 'pending' as const }));
    },
    async settle(d, line, outcome) {
      const [state, nextAt] = outcome === 'delivered' || outcome === 'failed' ? [outcome, d.nextAt] : ['pending', outcome.retryAt];
      // Erased while the attempt was in flight (data-rights.ts): no row changes, so no line comes back.
      await sql`
        WITH changed AS (UPDATE webhook_deliveries SET state = ${state}, next_at = ${nextAt} WHERE id = ${d.id} RETURNING id)
        INSERT INTO webhook_activity (delivery_id, user_id, address, message_id, url, at, attempt, status, latency_ms, error)
        SELECT id, ${d.userId}, ${d.address}, ${d.messageId}, ${d.url}, ${line.at}, ${d.attempts}, ${line.status}, ${line.latencyMs}, ${line.error.slice(0, 500)}
        FROM changed`;
    },
    async prune(before) {
      await pgPruneWebhookHistory(sql, before);
    },
    secretFor: (userId) => webhooks.secretFor(userId),
    async slackToFrom(address) {
      const rows = address.startsWith('*@')
        ? await sql<{ to_from: boolean }[]>`SELECT webhook_slack_to_from AS to_from FROM account_domains WHERE domain = ${address.slice(2)}`
        : await sql<{ to_from: boolean }[]>`SELECT webhook_slack_to_from AS to_from FROM addresses WHERE address = ${address}`;
      return rows[0]?.to_from ?? false;
    },
  };
}
