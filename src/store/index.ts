// The store as the rest of the process sees it: one database, its tables'
// repositories, and the group committer every SMTP write goes through.
import { databaseFile, openDatabase, type DB } from './db.js';
import { GroupCommitter } from './group-commit.js';
import { MessageStore } from './messages.js';
import { UserStore } from './users.js';
import { ApiKeyStore } from './api-keys.js';
import { SessionStore } from './sessions.js';
import { AddressStore } from './addresses.js';
import { MessageQueries } from './message-queries.js';
import { AuditStore } from './audit.js';
import { BulkDelete, type MessageEraser } from './bulk-delete.js';

export interface Store {
  db: DB;
  file: string;
  messages: MessageStore;
  committer: GroupCommitter;
  users: UserStore;
  keys: ApiKeyStore;
  sessions: SessionStore;
  addresses: AddressStore;
  /** Account-wide lists, starred, filter and full-text search (ids, newest first). */
  queries: MessageQueries;
  /** Who read, exported or deleted what (issue 4). */
  audit: AuditStore;
  /** Many messages at once, in bounded batches (bulk-delete.ts). */
  bulk: BulkDelete;
  /** Runs fn in one transaction: services compose repository writes without seeing the handle. */
  transaction<T>(fn: () => T): T;
  /** Whether the database answers (/healthz). */
  ping(): boolean;
  close(): void;
}

export interface StoreOptions {
  /** Hard cap on the database file; past it writes fail with SQLITE_FULL, answered 452 4.3.1 (0: none). */
  maxDatabaseBytes?: number;
}

export function openStore(dataDir: string, opts: StoreOptions = {}): Store {
  const file = databaseFile(dataDir);
  const db = openDatabase(file);
  if (opts.maxDatabaseBytes) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.maxDatabaseBytes / pageSize))}`);
  }
  const messages = new MessageStore(db);
  const queries = new MessageQueries(db);
  return {
    db,
    file,
    messages,
    committer: new GroupCommitter(db),
    users: new UserStore(db),
    keys: new ApiKeyStore(db),
    sessions: new SessionStore(db),
    addresses: new AddressStore(db),
    queries,
    audit: new AuditStore(db),
    bulk: new BulkDelete(db, messages, queries),
    transaction: (fn) => db.transaction(fn)(),
    ping: () => db.open && db.prepare('SELECT 1').pluck().get() === 1,
    close() {
      if (!db.open) return;
      // Fold the WAL back into the main file so a copied data dir is complete.
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
    },
  };
}

/**
 * Bulk deletes on this process's own connection, for processes without a
 * writer thread (the CLI, tests that build the web app alone).
 */
export function localEraser(store: Store): MessageEraser {
  return {
    deleteMessages: (selection) => store.bulk.run(selection),
    scrub: () => store.bulk.scrub(),
  };
}
