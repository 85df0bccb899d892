// Numbered .sql files in ./migrations, applied in order and recorded in
// schema_migrations, like the SQLite store's (store/migrate.ts), but for a
// database several nodes start against at once: whoever takes the advisory
// lock first applies what is missing, the others wait for it and then find
// nothing left to do. A file is never edited once shipped; a change is a new
// number.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './driver.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** pg_advisory_xact_lock key: "mailroom" and "migrate", two int4 halves, fixed forever. */
const LOCK_KEY: [number, number] = [0x6d61696c, 0x6d696772];

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export function loadPgMigrations(dir = MIGRATIONS_DIR): PgMigration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .map((f) => ({ version: Number(f.split('_')[0]), name: f, sql: readFileSync(path.join(dir, f), 'utf8') }))
    .sort((a, b) => a.version - b.version);
}

/**
 * Applies the pending migrations and returns their versions (empty when
 * another node applied them, or nothing was pending). One transaction for
 * all of them: PostgreSQL's DDL is transactional, so a failing file leaves
 * the schema as it was and the lock is released with the rollback; a node
 * that dies mid-way leaves nothing half-applied either.
 */
export async function runPgMigrations(sql: Sql, migrations = loadPgMigrations()): Promise<number[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY[0]}::int, ${LOCK_KEY[1]}::int)`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied bigint NOT NULL)`;
    const done = new Set((await tx<{ version: number }[]>`SELECT version FROM schema_migrations`).map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      // The simple protocol runs a file of several statements in one go.
      await tx.unsafe(m.sql).simple();
      await tx`INSERT INTO schema_migrations (version, name, applied) VALUES (${m.version}, ${m.name}, ${Date.now()})`;
      applied.push(m.version);
    }
    return applied;
  });
}
