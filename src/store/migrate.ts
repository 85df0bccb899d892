// Numbered .sql files in ./migrations, applied in order, each in its own
// transaction, recorded in schema_migrations. A file is never edited once it
// has shipped: a change is a new number. A version may also have a step in
// JS (migration-steps.ts), run in the same transaction after its SQL.
// Foreign keys are off while migrating, as SQLite's procedure for rebuilding
// a table asks (dropping a parent table would otherwise cascade), and every
// migration is checked against them before it commits.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { MIGRATION_STEPS, type MigrationStep } from './migration-steps.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .map((f) => ({ version: Number(f.split('_')[0]), name: f, sql: readFileSync(path.join(dir, f), 'utf8') }))
    .sort((a, b) => a.version - b.version);
}

export function runMigrations(db: Database.Database, migrations = loadMigrations(), steps: Record<number, MigrationStep> = MIGRATION_STEPS): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)');
  const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const applied: number[] = [];
  const pending = migrations.filter((m) => !done.has(m.version));
  if (pending.length === 0) return applied;
  const foreignKeys = Number(db.pragma('foreign_keys', { simple: true })) === 1;
  db.pragma('foreign_keys = OFF');
  try {
    for (const m of pending) {
      db.transaction(() => {
        db.exec(m.sql);
        steps[m.version]?.(db);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`migration ${m.name} breaks ${broken.length} foreign key references`);
        db.prepare('INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      })();
      applied.push(m.version);
    }
  } finally {
    if (foreignKeys) db.pragma('foreign_keys = ON');
  }
  return applied;
}
