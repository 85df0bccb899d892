// Tests that look inside the database open its file themselves: the Store
// keeps its handle to itself (issue 10 part 3), so nothing in src/ can reach
// around the repositories. A second connection sees every committed write
// (WAL); `write` is for tests that plant a fault or age a row.
import Database from 'better-sqlite3';

export type RawDatabase = Database.Database;

/**
 * Opens the file, runs fn, closes it again (an idle extra connection would hold no lock, but also no reason to stay).
 * Reading is guarded by query_only, not by a read-only open: a read-only
 * connection cannot rebuild the WAL index, and one opened just as the
 * server's scrub truncated the WAL (wal_checkpoint(TRUNCATE)) failed once in
 * CI with "disk I/O error" (deleted-is-gone, the CLI case).
 */
export function withDatabaseFile<T>(store: { file: string }, fn: (db: RawDatabase) => T, opts: { write?: boolean } = {}): T {
  const db = new Database(store.file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    if (!opts.write) db.pragma('query_only = ON');
    return fn(db);
  } finally {
    db.close();
  }
}

/** The single value of one query (count(*), a pragma read back). */
export function sqlValue(store: { file: string }, sql: string, ...params: unknown[]): unknown {
  return withDatabaseFile(store, (db) => db.prepare(sql).pluck().get(...params));
}
