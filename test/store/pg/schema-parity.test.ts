// The PostgreSQL schema mirrors the SQLite one (issue 14): the same tables
// with the same columns, so the services can run on either engine and
// `migrate-store` can copy row by row. A SQLite migration that adds a table
// or a column fails this test until a PostgreSQL migration adds it too, or
// it is listed below with the reason the engines differ.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { postgresForTests } from '../../helpers/postgres.js';
import { openStore } from '../../../src/store/index.js';
import { tempDir } from '../../helpers/temp.js';
import { withDatabaseFile } from '../../helpers/database-file.js';

const pg = await postgresForTests(test);

/** table.column present on one engine only, and why. */
const SQLITE_ONLY: Record<string, string> = {
  'contents.text': 'legacy plain body columns (SQLite migration 005): PostgreSQL keeps body_z only',
  'contents.html': 'legacy plain body columns (SQLite migration 005)',
  'contents.headers_json': 'legacy plain body columns (SQLite migration 005)',
};
const POSTGRES_ONLY: Record<string, string> = {
  'contents.search': 'the tsvector that replaces the FTS5 table',
  'contents.ready_at': 'catch-up of ready events after a lost LISTEN connection',
  'throttle_counters.key': 'throttle counters shared by the nodes (migration 008); one SQLite node keeps them in memory',
  'throttle_counters.count': 'throttle counters shared by the nodes (migration 008)',
  'throttle_counters.until': 'throttle counters shared by the nodes (migration 008)',
  'job_runs.name': 'which node ran a scheduled job (migration 008); one SQLite node needs no record',
  'job_runs.started': 'which node ran a scheduled job (migration 008)',
};
/** SQLite tables that are not data: FTS5 and its shadow tables, SQLite internals. */
const notData = (t: string) => t.startsWith('message_fts') || t.startsWith('sqlite_');

if (pg) {
  test.after(() => pg.drop());

  test('every SQLite table and column exists in PostgreSQL, and nothing more but the listed differences', async () => {
    const store = openStore(tempDir());
    store.close();
    const sqlite = new Set<string>();
    withDatabaseFile(store, (db) => {
      for (const { name } of db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]) {
        if (notData(name)) continue;
        for (const c of db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]) sqlite.add(`${name}.${c.name}`);
      }
    });
    const sql = pg.pool({ max: 1 });
    const rows = await sql<{ t: string; c: string }[]>`
      SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'`;
    const postgres = new Set(rows.map((r) => `${r.t}.${r.c}`));
    const missing = [...sqlite].filter((k) => !postgres.has(k) && !(k in SQLITE_ONLY)).sort();
    const extra = [...postgres].filter((k) => !sqlite.has(k) && !(k in POSTGRES_ONLY)).sort();
    assert.equal(missing, [], 'in SQLite, missing from PostgreSQL');
    assert.equal(extra, [], 'in PostgreSQL only, not listed');
    for (const k of Object.keys(SQLITE_ONLY)) assert.ok(sqlite.has(k) && !postgres.has(k), `${k} is still a difference`);
    for (const k of Object.keys(POSTGRES_ONLY)) assert.ok(postgres.has(k) && !sqlite.has(k), `${k} is still a difference`);
  });
}

test.run();
