// Migration steps SQL alone cannot do, run inside the same transaction as
// their numbered .sql file (migrate.ts), so a crash leaves either both or
// neither.
import type { DB } from './db.js';
import { reindexSearch } from './search-reindex.js';

export type MigrationStep = (db: DB) => void;

/**
 * Issue 13 item 4: user ids are never reused, or a new user who got a deleted
 * user's id would see that user's logins (audit entries by actor id) and
 * stars. The users table is rebuilt with AUTOINCREMENT, from its own current
 * definition (so columns other migrations added are kept), following SQLite's
 * procedure for schema changes (https://sqlite.org/lang_altertable.html,
 * "Making Other Kinds Of Table Schema Changes"): migrate.ts turns foreign
 * keys off around migrations, so dropping the old table cascades nothing, and
 * checks them before committing. The sequence starts above every id any row
 * still refers to, including those of users already deleted.
 */
export function usersAutoincrement(db: DB): void {
  const sql = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'`).pluck().get() as string | undefined;
  if (!sql || /AUTOINCREMENT/i.test(sql)) return;
  const rebuilt = sql
    .replace(/^CREATE TABLE\s+("users"|users)/i, 'CREATE TABLE users_rebuilt')
    .replace(/\bid(\s+)INTEGER(\s+)PRIMARY(\s+)KEY\b/i, 'id INTEGER PRIMARY KEY AUTOINCREMENT');
  if (!/AUTOINCREMENT/.test(rebuilt)) throw new Error('migration 010: users.id is not an INTEGER PRIMARY KEY');
  const columns = (db.prepare(`SELECT name FROM pragma_table_info('users')`).pluck().all() as string[]).map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
  const extras = db.prepare(`SELECT sql FROM sqlite_master WHERE tbl_name = 'users' AND type IN ('index', 'trigger') AND sql IS NOT NULL`).pluck().all() as string[];
  db.exec(rebuilt);
  db.exec(`INSERT INTO users_rebuilt (${columns}) SELECT ${columns} FROM users`);
  db.exec('DROP TABLE users');
  db.exec('ALTER TABLE users_rebuilt RENAME TO users');
  for (const s of extras) db.exec(s);
  const highest = db
    .prepare(
      `SELECT max(coalesce((SELECT max(id) FROM users), 0), coalesce((SELECT max(actor_id) FROM audit_log), 0),
        coalesce((SELECT max(user_id) FROM api_keys), 0), coalesce((SELECT max(user_id) FROM sessions), 0),
        coalesce((SELECT max(owner_id) FROM addresses), 0), coalesce((SELECT max(saved_by) FROM messages), 0))`,
    )
    .pluck()
    .get() as number;
  db.prepare(`DELETE FROM sqlite_sequence WHERE name = 'users'`).run();
  db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('users', ?)`).run(highest);
}

/** Steps by migration version. */
export const MIGRATION_STEPS: Record<number, MigrationStep> = {
  // The search index without envelope recipients: rows rebuilt from the stored mail.
  9: (db) => void reindexSearch(db),
  10: usersAutoincrement,
};
