// Tests that look inside the database open its file themselves: the Store
// keeps its handle to itself (issue 10 part 3), so nothing in src/ can reach
// around the repositories. A second connection sees every committed write
// (WAL); `write` is for tests that plant a fault or age a row.
import Database from 'better-sqlite3';

export type RawDatabase = Database.Database;

/** Opens the file, runs fn, closes it again (an idle extra connection would hold no lock, but also no reason to stay). */
export function withDatabaseFile<T>(store: { file: string }, fn: (db: RawDatabase) => T, opts: { write?: boolean } = {}): T {
  const db = new Database(store.file, { readonly: !opts.write, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return fn(db);
  } finally {
    db.close();
  }
}

/** The single value of one query (count(*), a pragma read back). */
export function sqlValue(store: { file: string }, sql: string, ...params: unknown[]): unknown {
  return withDatabaseFile(store, (db) => db.prepare(sql).pluck().get(...params));
}
