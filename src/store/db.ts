// Opens the SQLite file with the settings durability depends on, proves they
// took effect, and brings the schema up to date.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runMigrations } from './migrate.js';

export type DB = Database.Database;

/**
 * Page cache of a connection that mostly reads (the main thread's: pages, API,
 * search), in KiB. Issue 16's RSS target (< 250 MB with 1M stored): each
 * connection's cache fills up to its size as the store grows, and the file's
 * pages are in the kernel's page cache anyway, where a miss here costs a
 * pread of a few microseconds, not a disk read. A read touches a few index
 * pages and one row, so the hot pages (index roots and inner nodes) fit in
 * 8 MB many times over; 32 MB per connection bought no measurable speed and
 * cost ~29 MB of RSS at 10,000 stored (scripts/bench/rss.mjs, run H of
 * docs/performance.md), up to 24 MB more at 1M. The writer thread keeps
 * WRITER_CACHE_KIB: its random-key index inserts are the ingest hot path.
 */
export const READ_CACHE_KIB = 8 * 1024;
/** Page cache of the writer thread's connection, in KiB (see READ_CACHE_KIB). */
export const WRITER_CACHE_KIB = 32_000;

/** Page size of a new database file (see openDatabase). */
export const PAGE_SIZE = 16384;

export class StoreConfigError extends Error {}

/**
 * WAL + synchronous=FULL: a commit is on disk when it returns (GUIDE,
 * "Durability"; RFC 5321 6.1). better-sqlite3 does not keep `synchronous`
 * across opens, and in WAL mode SQLite's default NORMAL can lose the last
 * commits on power failure, so it is set on every open and read back.
 */
export function applyPragmas(db: DB): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Deleted mail must not linger in free pages (privacy: "delete means gone").
  db.pragma('secure_delete = ON');
  // Writers wait for each other instead of failing with SQLITE_BUSY.
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
  db.pragma(`cache_size = -${READ_CACHE_KIB}`);
  verifyPragmas(db);
}

export function verifyPragmas(db: DB): void {
  const journal = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
  const sync = Number(db.pragma('synchronous', { simple: true }));
  if (journal !== 'wal' || sync !== 2) {
    throw new StoreConfigError(
      `refusing to run: journal_mode=${journal} synchronous=${sync}; Mailroom needs wal and 2 (FULL) to keep its 250 promise`,
    );
  }
}

export interface OpenOptions {
  readonly?: boolean;
}

export function openDatabase(file: string, opts: OpenOptions = {}): DB {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { readonly: opts.readonly ?? false });
  try {
    if (opts.readonly) {
      db.pragma('busy_timeout = 5000');
      return db;
    }
    // page_size and auto_vacuum only take effect on a new file (before the
    // first table), and page_size only before auto_vacuum: that one writes the header.
    // 16 KiB pages (issue 16, stored bytes ≤ raw bytes): a message row (raw
    // source deflated, body document, metadata) is typically 1.5–5 KB, so on
    // 4 KiB pages most rows took a page of their own or spilled into an
    // overflow page left mostly empty; that slack was 12.2 of the 47.7 MB of
    // the contents table for the bench's 10,000 messages. With 16 KiB pages
    // several rows share a page (slack 4.3 MB; the data dir went from 1.07 to
    // 0.96 × the raw bytes). Files made before keep their page size (changing
    // it takes a VACUUM of the whole file).
    db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma('auto_vacuum = INCREMENTAL');
    applyPragmas(db);
    runMigrations(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'mailroom.db');
}
