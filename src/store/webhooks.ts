// Webhook secrets, the persistent delivery queue and the activity log
// (issue 11, migration 008). Deliveries are leased, not locked: starting an
// attempt moves next_at past the attempt's timeout in the same write, so an
// attempt cut by a crash is simply due again later (at least once).
import { randomBytes } from 'node:crypto';
import type { DB } from './db.js';

export type DeliveryKind = 'webhook' | 'slack';

export interface Delivery {
  id: number;
  userId: number;
  address: string;
  messageId: string;
  kind: DeliveryKind;
  url: string;
  created: number;
  attempts: number;
  nextAt: number;
  state: 'pending' | 'delivered' | 'failed';
}

export interface Activity {
  id: number;
  deliveryId: number;
  address: string;
  messageId: string;
  url: string;
  at: number;
  attempt: number;
  status: number | null;
  latencyMs: number;
  error: string;
}

type Row = Record<string, any>;

export const SECRET_PREFIX = 'whsec_';

/** The queue row an account domain's setting `column` asks for, per ready message (see enqueueReadyDomainWebhooks). */
function domainEnqueueSql(kind: DeliveryKind, column: 'webhook' | 'webhook_slack'): string {
  // Captured mail is its capturer's alone (issue 12): only a copy the domain's owner may read counts.
  const readable = `m.content_id = @contentId AND m.ready = 0 AND m.domain = d.domain AND (m.captured_by IS NULL OR m.captured_by = d.owner_id)`;
  return `INSERT INTO webhook_deliveries (user_id, address, message_id, kind, url, created, next_at)
    SELECT user_id, address, message_id, '${kind}', url, @now, @now FROM (
      SELECT d.owner_id AS user_id, '*@' || d.domain AS address, d.${column} AS url,
        (SELECT m.id FROM messages m WHERE ${readable} ORDER BY m.inbox = '*@' || d.domain DESC, m.seq LIMIT 1) AS message_id
      FROM (SELECT DISTINCT domain FROM messages WHERE content_id = @contentId AND ready = 0) md
      JOIN account_domains d ON d.domain = md.domain
      WHERE d.verified IS NOT NULL AND coalesce(d.${column}, '') != ''
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries w
          WHERE w.kind = '${kind}' AND w.url = d.${column} AND w.message_id IN (SELECT id FROM messages WHERE content_id = @contentId))
    ) WHERE message_id IS NOT NULL GROUP BY url`;
}

export class WebhookStore {
  private readonly stmts;

  constructor(private readonly db: DB) {
    this.stmts = {
      secret: db.prepare(`SELECT secret FROM webhook_secrets WHERE user_id = ?`).pluck(),
      insertSecret: db.prepare(`INSERT OR IGNORE INTO webhook_secrets (user_id, secret, created) VALUES (?, ?, ?)`),
      // The copies of one content about to become ready (ready = 0 still, so a
      // re-parse of a ready message queues nothing again), joined with their
      // inbox's settings. A forwarded copy is a copy like any other: its
      // target's settings apply (push/forwarding.ts).
      // Captured mail is its capturer's alone (issue 12): never queued for another owner's webhook.
      // One statement for both kinds (a webhook row first, then Slack, per copy in arrival order): it runs in every ready commit.
      enqueueReady: db.prepare(
        `INSERT INTO webhook_deliveries (user_id, address, message_id, kind, url, created, next_at)
         SELECT a.owner_id, a.address, m.id, k.kind, CASE k.kind WHEN 'webhook' THEN a.webhook ELSE a.webhook_slack END, @now, @now
         FROM messages m JOIN addresses a ON a.address = m.inbox
           JOIN (SELECT 'webhook' AS kind, 0 AS ord UNION ALL SELECT 'slack', 1) k
             ON coalesce(CASE k.kind WHEN 'webhook' THEN a.webhook ELSE a.webhook_slack END, '') != ''
         WHERE m.content_id = @contentId AND m.ready = 0
           AND (m.captured_by IS NULL OR m.captured_by = a.owner_id) ORDER BY k.ord, m.seq`,
      ),
      // An account domain's own webhook and Slack post (issue 11, migration 015):
      // once per message for each verified domain among its copies, on the
      // catch-all copy when there is one (it is the domain's address), else the
      // first copy in the domain, and logged under *@domain. A URL one of the
      // message's copies already goes to (an address's webhook set to the same
      // URL) is not sent the message a second time; GROUP BY does the same
      // between two domains of one message with the same URL.
      enqueueReadyDomainWebhooks: db.prepare(domainEnqueueSql('webhook', 'webhook')),
      enqueueReadyDomainSlack: db.prepare(domainEnqueueSql('slack', 'webhook_slack')),
      // Whether any address or account domain has a webhook or a Slack URL
      // set: two partial indexes of the rows that do (migration 016), so
      // ~0.5 µs where the three statements above cost ~20-28 µs per message.
      // The same WHERE as those indexes, or SQLite scans the tables instead.
      anySubscribed: db
        .prepare(
          `SELECT EXISTS (SELECT 1 FROM addresses WHERE coalesce(webhook, '') != '' OR coalesce(webhook_slack, '') != '')
             OR EXISTS (SELECT 1 FROM account_domains WHERE coalesce(webhook, '') != '' OR coalesce(webhook_slack, '') != '')`,
        )
        .pluck(),
      due: db.prepare(`SELECT * FROM webhook_deliveries WHERE state = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?`),
      nextDue: db.prepare(`SELECT min(next_at) FROM webhook_deliveries WHERE state = 'pending'`).pluck(),
      lease: db.prepare(`UPDATE webhook_deliveries SET attempts = attempts + 1, next_at = ? WHERE id = ? AND state = 'pending' AND next_at <= ?`),
      byId: db.prepare(`SELECT * FROM webhook_deliveries WHERE id = ?`),
      settle: db.prepare(`UPDATE webhook_deliveries SET state = ?, next_at = ? WHERE id = ?`),
      record: db.prepare(
        `INSERT INTO webhook_activity (delivery_id, user_id, address, message_id, url, at, attempt, status, latency_ms, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      activityOf: db.prepare(`SELECT * FROM webhook_activity WHERE address = ? ORDER BY at DESC, id DESC LIMIT ?`),
      activityOfUser: db.prepare(`SELECT * FROM webhook_activity WHERE address = ? AND user_id = ? ORDER BY at DESC, id DESC LIMIT ?`),
      secretCreated: db.prepare(`SELECT created FROM webhook_secrets WHERE user_id = ?`).pluck(),
      activityOfAccount: db.prepare(`SELECT * FROM webhook_activity WHERE user_id = ? ORDER BY id`),
      activityOfAddress: db.prepare(`SELECT * FROM webhook_activity WHERE address = ? ORDER BY id`),
      deliveriesOfAccount: db.prepare(`SELECT * FROM webhook_deliveries WHERE user_id = ? ORDER BY id`),
      deliveriesOfAddress: db.prepare(`SELECT * FROM webhook_deliveries WHERE address = ? ORDER BY id`),
      forgetDeliveriesOfAddress: db.prepare(`DELETE FROM webhook_deliveries WHERE address = ?`),
      forgetActivityOfAddress: db.prepare(`DELETE FROM webhook_activity WHERE address = ?`),
      forgetDeliveriesOfAccount: db.prepare(`DELETE FROM webhook_deliveries WHERE user_id = ?`),
      forgetActivityOfAccount: db.prepare(`DELETE FROM webhook_activity WHERE user_id = ?`),
      forgetSecret: db.prepare(`DELETE FROM webhook_secrets WHERE user_id = ?`),
      pending: db.prepare(`SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'`).pluck(),
      pruneDeliveries: db.prepare(`DELETE FROM webhook_deliveries WHERE state != 'pending' AND created < ?`),
      pruneActivity: db.prepare(`DELETE FROM webhook_activity WHERE at < ?`),
    };
  }

  /** The account's signing secret, created on first use. */
  secretFor(userId: number): string {
    const existing = this.stmts.secret.get(userId) as string | undefined;
    if (existing) return existing;
    this.stmts.insertSecret.run(userId, newSecret(), Date.now());
    return this.stmts.secret.get(userId) as string;
  }

  /**
   * Queues the webhook and Slack deliveries the copies of `contentId` ask for.
   * Call it inside the transaction that makes them ready, before it marks
   * them (MessageStore.applyParse): the message and its deliveries commit
   * together, so no crash can leave a ready message without them (issue 11,
   * "delivered at least once"). Returns how many were queued.
   */
  enqueueForReady(contentId: number, now = Date.now()): number {
    // Nothing subscribed anywhere: the statements below would queue nothing
    // (issue 16, run Q). Read in the same transaction as they would be, so a
    // webhook set by any connection before this commit still gets the message.
    if (this.stmts.anySubscribed.get() === 0) return 0;
    // Addresses first: the domains' statements skip URLs the addresses already got.
    return (
      this.stmts.enqueueReady.run({ contentId, now }).changes +
      this.stmts.enqueueReadyDomainWebhooks.run({ contentId, now }).changes +
      this.stmts.enqueueReadyDomainSlack.run({ contentId, now }).changes
    );
  }

  due(now: number, limit: number): Delivery[] {
    return (this.stmts.due.all(now, limit) as Row[]).map(deliveryView);
  }

  /** Earliest next_at of a pending delivery, or null. */
  nextDue(): number | null {
    return (this.stmts.nextDue.get() as number | null) ?? null;
  }

  /** Takes a due delivery for one attempt until `leaseUntil`; false when another taker (or a settle) got there first. */
  lease(id: number, now: number, leaseUntil: number): Delivery | null {
    if (this.stmts.lease.run(leaseUntil, id, now).changes === 0) return null;
    return deliveryView(this.stmts.byId.get(id) as Row);
  }

  get(id: number): Delivery | null {
    const r = this.stmts.byId.get(id) as Row | undefined;
    return r ? deliveryView(r) : null;
  }

  /** Records one attempt and what follows it: delivered, failed for good, or due again at `retryAt`. */
  settle(d: Delivery, a: { at: number; status: number | null; latencyMs: number; error: string }, outcome: 'delivered' | 'failed' | { retryAt: number }): void {
    this.db.transaction(() => {
      const changed =
        outcome === 'delivered' || outcome === 'failed' ? this.stmts.settle.run(outcome, d.nextAt, d.id) : this.stmts.settle.run('pending', outcome.retryAt, d.id);
      // Erased while the attempt was in flight (data-rights.ts): its line must not come back.
      if (changed.changes === 0) return;
      this.stmts.record.run(d.id, d.userId, d.address, d.messageId, d.url, a.at, d.attempts, a.status, a.latencyMs, a.error.slice(0, 500));
    })();
  }

  /** Newest first; with `userId`, only that account's deliveries (a released and re-reserved address keeps them apart). */
  activity(address: string, limit = 100, userId?: number): Activity[] {
    const rows = userId === undefined ? this.stmts.activityOf.all(address, limit) : this.stmts.activityOfUser.all(address, userId, limit);
    return (rows as Row[]).map(activityView);
  }

  /** What an export shows (services/data-rights.ts): every activity line and queued delivery of an account or an address, and whether the account has a signing secret (never the secret). */
  exportOf(s: { userId: number } | { address: string }): { secretCreated: number | null; deliveries: Delivery[]; activity: Activity[] } {
    const byUser = 'userId' in s;
    return {
      secretCreated: byUser ? ((this.stmts.secretCreated.get(s.userId) as number | undefined) ?? null) : null,
      deliveries: ((byUser ? this.stmts.deliveriesOfAccount.all(s.userId) : this.stmts.deliveriesOfAddress.all(s.address)) as Row[]).map(deliveryView),
      activity: ((byUser ? this.stmts.activityOfAccount.all(s.userId) : this.stmts.activityOfAddress.all(s.address)) as Row[]).map(activityView),
    };
  }

  /** Deletes the queued deliveries and activity lines of an address (whoever owned it), or of an account along with its secret. */
  forget(s: { userId: number } | { address: string }): { deliveries: number; activity: number } {
    return this.db.transaction(() => {
      if ('userId' in s) {
        this.stmts.forgetSecret.run(s.userId);
        return { deliveries: this.stmts.forgetDeliveriesOfAccount.run(s.userId).changes, activity: this.stmts.forgetActivityOfAccount.run(s.userId).changes };
      }
      return { deliveries: this.stmts.forgetDeliveriesOfAddress.run(s.address).changes, activity: this.stmts.forgetActivityOfAddress.run(s.address).changes };
    })();
  }

  pendingCount(): number {
    return this.stmts.pending.get() as number;
  }

  /** Forgets finished deliveries and activity older than `before` (epoch ms). */
  prune(before: number): void {
    this.stmts.pruneDeliveries.run(before);
    this.stmts.pruneActivity.run(before);
  }
}

/** A fresh signing secret (both engines create them alike). */
export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

export function activityView(r: Row): Activity {
  return {
    id: r.id,
    deliveryId: r.delivery_id,
    address: r.address,
    messageId: r.message_id,
    url: r.url,
    at: r.at,
    attempt: r.attempt,
    status: r.status ?? null,
    latencyMs: r.latency_ms,
    error: r.error,
  };
}

/** A webhook_deliveries row as a Delivery (both engines' columns are the same). */
export function deliveryView(r: Row): Delivery {
  return {
    id: r.id,
    userId: r.user_id,
    address: r.address,
    messageId: r.message_id,
    kind: r.kind,
    url: r.url,
    created: r.created,
    attempts: r.attempts,
    nextAt: r.next_at,
    state: r.state,
  };
}

