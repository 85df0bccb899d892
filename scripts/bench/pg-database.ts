// A fresh PostgreSQL database for one part of a bench run (issue 14):
// CREATE DATABASE bench_<random> on the server at MAILROOM_BENCH_POSTGRES_URL
// (default the local one), migrated, dropped by drop() at the end. When no
// server answers, freshBenchDatabase() returns the one line the bench prints
// before going on without the PostgreSQL figures.
import { randomBytes } from 'node:crypto';
import { describeConnectError, openPool, type Sql } from '../../src/store/pg/driver.js';
import { runPgMigrations } from '../../src/store/pg/migrate.js';

export const DEFAULT_BENCH_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function benchPostgresUrl(): string {
  return process.env.MAILROOM_BENCH_POSTGRES_URL || DEFAULT_BENCH_POSTGRES_URL;
}

export interface BenchDatabase {
  name: string;
  url: string;
  /** A small pool on it for the bench's own queries (sizes, seeding, reads). */
  sql: Sql;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
}

export async function freshBenchDatabase(serverUrl = benchPostgresUrl()): Promise<BenchDatabase | { unavailable: string }> {
  const admin = openPool(serverUrl, { max: 1, applicationName: 'mailroom-bench' });
  const name = `bench_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.end({ timeout: 1 });
    return { unavailable: `PostgreSQL at ${new URL(serverUrl).host} does not answer (${describeConnectError(err)}): no PostgreSQL figures in this run` };
  }
  const url = withDatabase(serverUrl, name);
  const sql = openPool(url, { max: 4, applicationName: 'mailroom-bench' });
  // Migrated here once, so the nodes start together without waiting on each other's lock.
  await runPgMigrations(sql);
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      // Nodes that did not stop cleanly would hold connections and block the DROP.
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end({ timeout: 5 });
    },
  };
}
