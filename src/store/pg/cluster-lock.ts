// Work that must run on one node at a time across the cluster (issue 14:
// retention, the billing grace job, a scheduled scrub): a session-level
// PostgreSQL advisory lock, tried, never waited for. The node that gets it
// runs; the others skip this turn. The lock lives as long as the connection
// holding it, so a node that dies mid-run (kill -9, a lost network) lets go
// of it by itself: nothing to clean up, no lease to expire.
import type { Sql } from './driver.js';

/** Advisory lock class shared by every named job ("mail"), so the keys never meet an application's own. */
const LOCK_CLASS = 0x6d61696c;

export type OneNodeResult<T> = { ran: true; value: T } | { ran: false };

/**
 * Runs `fn` if no other node is running the job called `name`, holding the
 * lock on a connection of its own for as long as `fn` runs.
 */
export async function runOnOneNode<T>(sql: Sql, name: string, fn: () => Promise<T>): Promise<OneNodeResult<T>> {
  const conn = await sql.reserve();
  try {
    const [{ locked }] = await conn<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(${LOCK_CLASS}::int, hashtext(${'mailroom:' + name})) AS locked`;
    if (!locked) return { ran: false };
    try {
      return { ran: true, value: await fn() };
    } finally {
      // A connection lost meanwhile took the lock with it.
      await conn`SELECT pg_advisory_unlock(${LOCK_CLASS}::int, hashtext(${'mailroom:' + name}))`.catch(() => {});
    }
  } finally {
    conn.release();
  }
}
