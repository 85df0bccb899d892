// A PostgreSQL database of its own for one test file (issue 14): created
// fresh under a random name on the server at MAILROOM_TEST_POSTGRES_URL
// (default the local one), migrated, and dropped by drop() at the end.
// Where no server answers, postgresForTests() prints one line, returns null
// and registers a single test in its place, which passes unless
// MAILROOM_TEST_REQUIRE_POSTGRES=1 (.ci/run) says a server must answer.
import { randomBytes } from 'node:crypto';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { openPool, describeConnectError, type Sql, type PoolOptions } from '../../src/store/pg/driver.js';
import { runPgMigrations } from '../../src/store/pg/migrate.js';

export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestPostgres {
  /** The fresh database's URL, for pools and child processes. */
  url: string;
  /** A new pool on the fresh database (a "node"); ended by drop(). */
  pool(opts?: PoolOptions): Sql;
  /** Ends every pool opened here and drops the database. */
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
}

/**
 * A fresh database, migrated unless `migrate` is false (the migration
 * tests run them themselves), or null when no server answers: then the
 * file's `test` gets the one test that says so.
 */
export async function postgresForTests(test: Test, opts: { migrate?: boolean } = {}): Promise<TestPostgres | null> {
  const serverUrl = process.env.MAILROOM_TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL;
  const admin = openPool(serverUrl, { max: 1, applicationName: 'mailroom-test' });
  // The creation time is in the name, so a later run can tell the database
  // of a test process killed before its drop() from one still in use.
  const name = `mailroom_test_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.end({ timeout: 1 });
    const line = `PostgreSQL at ${new URL(serverUrl).host} does not answer (${describeConnectError(err)})`;
    const required = process.env.MAILROOM_TEST_REQUIRE_POSTGRES === '1';
    if (!required) console.log(`${line}: the PostgreSQL tests in this file were not run`);
    test('a PostgreSQL server answers, or none is required (MAILROOM_TEST_REQUIRE_POSTGRES)', () => {
      assert.not.ok(required, `${line}, and MAILROOM_TEST_REQUIRE_POSTGRES=1 requires one (MAILROOM_TEST_POSTGRES_URL names it)`);
    });
    return null;
  }
  await dropAbandoned(admin);
  const url = withDatabase(serverUrl, name);
  const pools: Sql[] = [];
  const pool = (o: PoolOptions = {}) => {
    const p = openPool(url, { applicationName: 'mailroom-test', ...o });
    pools.push(p);
    return p;
  };
  if (opts.migrate !== false) await runPgMigrations(pool({ max: 1 }));
  return {
    url,
    pool,
    async drop() {
      await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** No test file runs this long (scripts/test.ts times one out after 10 minutes). */
const ABANDONED_AFTER_S = 3600;

/** Drops test databases left by killed test processes: older than an hour, nobody connected. */
async function dropAbandoned(admin: Sql): Promise<void> {
  const cutoff = Math.floor(Date.now() / 1000) - ABANDONED_AFTER_S;
  const stale = await admin<{ datname: string }[]>`
    SELECT datname FROM pg_database d
    WHERE datname ~ '^mailroom_test_[0-9]+_[0-9a-f]+$' AND split_part(datname, '_', 3)::bigint < ${cutoff}
      AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`;
  for (const { datname } of stale) await admin.unsafe(`DROP DATABASE IF EXISTS ${datname}`).catch(() => {});
}
