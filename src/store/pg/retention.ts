// Retention (jobs/retention.ts) on PostgreSQL (issue 14): RetentionStore's
// queries (store/retention.ts) in PostgreSQL's SQL, answer for answer, so the
// one set of rules in pruneWith() decides the same survivors on both engines
// (test/store/pg/retention.test.ts runs the same cases on each). Deletes go
// through deleteMessageBatch (delete-messages.ts), a batch per transaction.
// The scheduler runs it on one node at a time (pgRetentionRunner, below).
// Arrival order is seq, as on SQLite; with several nodes a seq is taken when
// a node's group commit inserts, so copies committed by two nodes within the
// same instant may commit out of seq order. A page walk that passed such a
// late-committed row leaves it to the next run: a prune takes less, never
// something younger than the policy.
import type { GroupCount, Ownership, RetentionEngine, RetentionRows, SeqId } from '../retention.js';
import { pruneWith } from '../../jobs/retention.js';
import type { RetentionRunner } from '../../jobs/scheduler.js';
import type { Sql } from './driver.js';
import { deleteMessageBatch } from './delete-messages.js';
import { vacuumMessageTables } from './eraser.js';
import { runOnOneNode } from './cluster-lock.js';

/** Wall time a delete batch aims at: round trips to a shared server, still no lock held for long. */
const PG_SLICE_MS = 50;

export function pgRetentionRows(sql: Sql): RetentionRows {
  // RetentionStore's OWNED / PUBLIC / PRIVATE on messages m.
  const owned = sql`(EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox)
    OR EXISTS (SELECT 1 FROM account_domains d WHERE d.domain = m.domain AND d.verified IS NOT NULL AND d.is_private))`;
  const publicOnly = sql`NOT ${owned}`;
  const seqIds = (rows: { seq: number; id: string }[]): SeqId[] => rows.map((r) => ({ seq: r.seq, id: r.id }));
  const ids = (rows: { id: string }[]): string[] => rows.map((r) => r.id);

  return {
    async firstYoungSeq(cutoff: number): Promise<number> {
      const [row] = await sql<{ seq: number | null }[]>`SELECT min(seq) AS seq FROM messages WHERE received >= ${cutoff}`;
      return row?.seq ?? Number.MAX_SAFE_INTEGER;
    },
    // Starred private mail is kept past its age; public mail's age limit is hard (issue 13 item 6).
    async agedPage(which: Ownership, afterSeq: number, beforeSeq: number, cutoff: number, limit: number): Promise<SeqId[]> {
      const cond = which === 'public' ? publicOnly : sql`NOT m.starred AND ${owned}`;
      return seqIds(
        await sql`SELECT m.seq, m.id FROM messages m
          WHERE m.seq > ${afterSeq} AND m.seq < ${beforeSeq} AND m.received < ${cutoff} AND ${cond}
          ORDER BY m.seq LIMIT ${limit}`,
      );
    },
    async publicInboxesOver(max: number): Promise<Array<GroupCount<string>>> {
      return sql<Array<GroupCount<string>>>`SELECT m.inbox AS key, count(*)::int AS n FROM messages m
        WHERE NOT m.starred AND ${publicOnly} GROUP BY m.inbox HAVING count(*) > ${max}`.then((r) => r.map((g) => ({ key: g.key, n: g.n })));
    },
    async oldestInInbox(inbox: string, n: number): Promise<string[]> {
      return ids(await sql`SELECT id FROM messages WHERE inbox = ${inbox} AND NOT starred ORDER BY seq LIMIT ${n}`);
    },
    async accountsOver(max: number): Promise<Array<GroupCount<number>>> {
      return sql<Array<GroupCount<number>>>`SELECT key, count(*)::int AS n FROM (
          SELECT a.owner_id AS key FROM messages m JOIN addresses a ON a.address = m.inbox
          UNION ALL
          SELECT m.saved_by AS key FROM messages m WHERE m.starred AND m.saved_by IS NOT NULL AND ${publicOnly}
        ) counted GROUP BY key HAVING count(*) > ${max}`.then((r) => r.map((g) => ({ key: g.key, n: g.n })));
    },
    async agedOfAccount(ownerId: number, afterSeq: number, beforeSeq: number, cutoff: number, limit: number): Promise<SeqId[]> {
      return seqIds(
        await sql`SELECT m.seq, m.id FROM messages m
          WHERE m.seq > ${afterSeq} AND m.seq < ${beforeSeq} AND m.received < ${cutoff} AND NOT m.starred
            AND (m.inbox IN (SELECT address FROM addresses WHERE owner_id = ${ownerId})
              OR m.domain IN (SELECT domain FROM account_domains WHERE owner_id = ${ownerId} AND verified IS NOT NULL AND is_private))
          ORDER BY m.seq LIMIT ${limit}`,
      );
    },
    async agedPrivateExcept(ownerIds: number[], afterSeq: number, beforeSeq: number, cutoff: number, limit: number): Promise<SeqId[]> {
      return seqIds(
        await sql`SELECT m.seq, m.id FROM messages m
          WHERE m.seq > ${afterSeq} AND m.seq < ${beforeSeq} AND m.received < ${cutoff} AND NOT m.starred AND ${owned}
            AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox AND a.owner_id = ANY(${ownerIds}::bigint[]))
            AND NOT EXISTS (SELECT 1 FROM account_domains d WHERE d.domain = m.domain AND d.verified IS NOT NULL AND d.is_private
                            AND d.owner_id = ANY(${ownerIds}::bigint[])
                            AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox))
          ORDER BY m.seq LIMIT ${limit}`,
      );
    },
    async accountCount(ownerId: number): Promise<number> {
      const [row] = await sql<{ n: number }[]>`SELECT
          (SELECT count(*) FROM messages m JOIN addresses a ON a.address = m.inbox WHERE a.owner_id = ${ownerId})
        + (SELECT count(*) FROM messages m WHERE m.starred AND m.saved_by = ${ownerId} AND ${publicOnly}) AS n`;
      return Number(row!.n);
    },
    async oldestOfAccount(ownerId: number, n: number): Promise<string[]> {
      return ids(
        await sql`SELECT m.id FROM messages m JOIN addresses a ON a.address = m.inbox
          WHERE a.owner_id = ${ownerId} AND NOT m.starred ORDER BY m.seq LIMIT ${n}`,
      );
    },
    async oldestPublicPage(afterSeq: number, limit: number): Promise<SeqId[]> {
      return seqIds(await sql`SELECT m.seq, m.id FROM messages m WHERE m.seq > ${afterSeq} AND NOT m.starred AND ${publicOnly} ORDER BY m.seq LIMIT ${limit}`);
    },
    /**
     * The bytes of stored mail: raw sources, bodies and attachment blobs as
     * stored (pg_column_size: compressed, TOAST included). Not the size of
     * the database's files: PostgreSQL reuses a deleted row's space rather
     * than giving it back, so the files would stay above the low water mark
     * however much went, and the disk rule would take all public mail.
     */
    async usedBytes(): Promise<number> {
      const [row] = await sql<{ bytes: number }[]>`SELECT
          coalesce((SELECT sum(pg_column_size(c.raw) + coalesce(pg_column_size(c.body_z), 0)) FROM contents c), 0)
        + coalesce((SELECT sum(pg_column_size(b.data)) FROM blobs b), 0) AS bytes`;
      return Number(row!.bytes);
    },
  };
}

/** Audit entries and login records past their days, expired sessions and expired throttle counters (rate-limit.ts). */
export async function pgPruneRecords(sql: Sql, now: number, auditDays: number, loginDays: number): Promise<{ audit: number; logins: number; sessions: number }> {
  const day = 86_400_000;
  const logins = loginDays > 0 ? (await sql`DELETE FROM audit_log WHERE action = 'login' AND at < ${now - loginDays * day}`).count : 0;
  const audit = auditDays > 0 ? (await sql`DELETE FROM audit_log WHERE action <> 'login' AND at < ${now - auditDays * day}`).count : 0;
  const sessions = (await sql`DELETE FROM sessions WHERE expires <= ${now}`).count;
  await sql`DELETE FROM throttle_counters WHERE until < ${now}`;
  return { audit, logins, sessions };
}

/**
 * WebhookStore.prune on PostgreSQL: finished deliveries and activity older
 * than `before`. The webhook sender (push/webhook-queue.ts) runs it hourly on
 * every node; on several nodes that is the same idempotent DELETE, so it
 * needs no lock. Returns the rows removed.
 */
export async function pgPruneWebhookHistory(sql: Sql, before: number): Promise<{ deliveries: number; activity: number }> {
  const deliveries = (await sql`DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created < ${before}`).count;
  const activity = (await sql`DELETE FROM webhook_activity WHERE at < ${before}`).count;
  return { deliveries, activity };
}

export function pgRetention(sql: Sql): RetentionEngine {
  return {
    rows: pgRetentionRows(sql),
    sliceMs: PG_SLICE_MS,
    deleteBatch: (ids) => deleteMessageBatch(sql, ids),
    pruneRecords: (now, auditDays, loginDays) => pgPruneRecords(sql, now, auditDays, loginDays),
    // The search column lives on contents: a deleted row's words leave the
    // GIN index when VACUUM removes the row (reclaim), nothing to merge.
    mergeSearchStep: async () => false,
    // Dead tuples of the deleted mail removed from tables and indexes, space
    // reusable; the files keep their size (eraser.ts says why). Pages are not counted.
    reclaim: async () => {
      await vacuumMessageTables(sql);
      return 0;
    },
  };
}

/**
 * The scheduler's runner (jobs/scheduler.ts) on PostgreSQL: each scheduled
 * run on one node only. The nodes' schedules fire at about the same time:
 * whoever takes the advisory lock (cluster-lock.ts) runs; a node that finds
 * it held skips its turn (null). A node whose tick comes late, after the
 * other's run already ended, finds that run's start in job_runs, within the
 * schedule's minimum gap by the database's one clock, and skips too. Manual
 * runs only wait for no one: they run unless a run is in progress.
 */
export function pgRetentionRunner(sql: Sql): RetentionRunner {
  let aborted = false;
  return {
    async prune(policy, now, run) {
      aborted = false;
      const r = await runOnOneNode(sql, 'retention', async () => {
        if (run?.scheduled && !(await claimScheduledRun(sql, 'retention', run.minGapMs))) return null;
        return pruneWith(pgRetention(sql), policy, now, { aborted: () => aborted });
      });
      return r.ran ? r.value : null;
    },
    abort() {
      aborted = true;
    },
  };
}

/**
 * Records a scheduled run of `name` as started now (database clock) unless
 * one started less than minGapMs ago; false: that one was this tick's run.
 * Called under the job's lock, so two nodes cannot both claim.
 */
export async function claimScheduledRun(sql: Sql, name: string, minGapMs: number): Promise<boolean> {
  const claimed = await sql`
    INSERT INTO job_runs (name, started) VALUES (${name}, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
    ON CONFLICT (name) DO UPDATE SET started = excluded.started
      WHERE job_runs.started <= excluded.started - ${Math.max(0, Math.floor(minGapMs))}
    RETURNING started`;
  return claimed.length === 1;
}
