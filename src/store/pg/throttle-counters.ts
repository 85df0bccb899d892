// The throttles' counters (http/middleware/rate-limit.ts) in one table every
// node shares (migration 008), so the budgets that guard passwords and API
// keys are per cluster, not per node (issue 14). Each change is a single
// statement (an upsert), atomic however many nodes count at once.
//
// Keys are stored as sha256 of what is counted (account names as typed,
// client addresses, device ids): fixed-size whatever a guesser types, and no
// list of tried account names sits in the database. Times are the nodes'
// clocks, as in memory: nodes are expected to keep NTP time; a skew of a few
// seconds only shifts when a counter is forgotten. Expired rows are treated
// as absent and deleted by retention (retention.ts pgPruneRecords).
import { createHash } from 'node:crypto';
import type { Counter, CounterStore } from '../../http/middleware/rate-limit.js';
import type { Sql } from './driver.js';

const stored = (ns: string, key: string) => `${ns}:${createHash('sha256').update(key).digest('hex')}`;

export class PgCounterStore implements CounterStore {
  constructor(private readonly sql: Sql) {}

  async get(ns: string, key: string, now: number): Promise<Counter | null> {
    const [row] = await this.sql<Counter[]>`SELECT count, until FROM throttle_counters WHERE key = ${stored(ns, key)} AND until >= ${now}`;
    return row ? { count: row.count, until: row.until } : null;
  }

  async increment(ns: string, key: string, now: number, ttlMs: number, slide: boolean): Promise<Counter> {
    const [row] = await this.sql<Counter[]>`
      INSERT INTO throttle_counters AS t (key, count, until) VALUES (${stored(ns, key)}, 1, ${now + ttlMs})
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN t.until < ${now} THEN 1 ELSE t.count + 1 END,
        until = CASE WHEN t.until < ${now} OR ${slide}::boolean THEN excluded.until ELSE t.until END
      RETURNING count, until`;
    return { count: row!.count, until: row!.until };
  }

  async delete(ns: string, key: string): Promise<void> {
    await this.sql`DELETE FROM throttle_counters WHERE key = ${stored(ns, key)}`;
  }

  async clear(ns: string): Promise<void> {
    await this.sql`DELETE FROM throttle_counters WHERE key LIKE ${ns + ':%'}`;
  }
}
