// The store as the rest of the process sees it: one database, its tables'
// repositories, and the group committer every SMTP write goes through.
import { databaseFile, openDatabase } from './db.js';
import { GroupCommitter } from './group-commit.js';
import { MessageStore } from './messages.js';
import { UserStore } from './users.js';
import { ApiKeyStore } from './api-keys.js';
import { SessionStore } from './sessions.js';
import { AddressStore } from './addresses.js';
import { AccountDomainStore } from './account-domains.js';
import { MessageQueries } from './message-queries.js';
import { AuditStore } from './audit.js';
import { WebhookStore } from './webhooks.js';
import { BulkDelete, type MessageEraser } from './bulk-delete.js';
import { RetentionStore } from './retention.js';
import { backupDatabase } from './backup.js';
import { checkpointTruncate, ScrubScheduler, scrubOnce, type ScrubResult } from './scrub.js';
import { BillingStore } from './billing.js';
import { CaptureUsageStore } from './capture-usage.js';
import type { MessageReader } from './message-reader.js';
import { sqliteMessageReader } from './sqlite-message-reader.js';
import type { PrincipalReader } from './principal-reader.js';
import { sqlitePrincipalReader } from './sqlite-principal-reader.js';
import { sqliteRepositories } from './sqlite-repositories.js';
import { cachedLookups, LookupCache, watchLookupTables, type RecipientLookups } from './lookup-cache.js';
import type { EngineStore } from './engine-store.js';
import type { Repositories } from './repositories.js';

export interface Store extends EngineStore {
  readonly engine: 'sqlite';
  /** The database file (backups, tests that open it themselves to inspect it). */
  file: string;
  messages: MessageStore;
  committer: GroupCommitter;
  users: UserStore;
  keys: ApiKeyStore;
  sessions: SessionStore;
  addresses: AddressStore;
  /** Domains added and verified by accounts (issue 12). */
  domains: AccountDomainStore;
  /** Account-wide lists, starred, filter and full-text search (ids, newest first). */
  queries: MessageQueries;
  /** Who read, exported or deleted what (issue 4). */
  audit: AuditStore;
  /** Webhook secrets, the delivery queue and its activity log (issue 11). */
  webhooks: WebhookStore;
  /** Many messages at once, in bounded batches (bulk-delete.ts). */
  bulk: BulkDelete;
  /** The pages retention reads and the maintenance it runs (jobs/retention.ts). */
  retention: RetentionStore;
  /** Stripe customers, subscriptions and applied webhook events (issue 15). */
  billing: BillingStore;
  /** Messages captured per account and month (issue 15, captureMessagesPerMonth). */
  captureUsage: CaptureUsageStore;
  /**
   * The asynchronous message reads (issue 14): what the services, the API and
   * push read through, so the same callers can later run on the PostgreSQL
   * engine. Here the SQLite implementation over `messages` and `queries`.
   */
  reader: MessageReader;
  /** Who is asking (keys, sessions, users), asynchronously; SQLite over `keys`, `sessions`, `users`. */
  principals: PrincipalReader;
  /** The account repositories behind promises (repositories.ts), as on the PostgreSQL engine. */
  data: Repositories;
  /** The SMTP receiver's per-recipient lookups through a cache (lookup-cache.ts says when an answer is dropped). */
  lookups: RecipientLookups;
  /** Runs fn in one transaction: services compose repository writes without seeing the handle. */
  transaction<T>(fn: () => T): T;
  /** Whether the database answers (/healthz). */
  ping(): boolean;
  /** Folds the WAL into the file and truncates it (deleted bytes must not linger there). busy: a reader held it. */
  checkpoint(): { busy: boolean };
  /** One scrub of deleted content (store/scrub.ts): bounded index merge, then the WAL truncated. */
  scrubDeleted(): Promise<ScrubResult>;
  /** An online, checked copy of the database at `file` (backup.ts). */
  backup(file: string, onProgress?: (percent: number) => void): Promise<void>;
  close(): void;
}

export interface StoreOptions {
  /** Hard cap on the database file; past it writes fail with SQLITE_FULL, answered 452 4.3.1 (0: none). */
  maxDatabaseBytes?: number;
  /** Page cache of this connection in KiB (default READ_CACHE_KIB, db.ts); the writer thread and the bench seeder ask for more. */
  cacheKiB?: number;
}

export function openStore(dataDir: string, opts: StoreOptions = {}): Store {
  const file = databaseFile(dataDir);
  const db = openDatabase(file);
  if (opts.maxDatabaseBytes) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.maxDatabaseBytes / pageSize))}`);
  }
  if (opts.cacheKiB) db.pragma(`cache_size = -${Math.floor(opts.cacheKiB)}`);
  const webhooks = new WebhookStore(db);
  const messages = new MessageStore(db, webhooks);
  const queries = new MessageQueries(db);
  const users = new UserStore(db);
  const keys = new ApiKeyStore(db);
  const sessions = new SessionStore(db);
  const addresses = new AddressStore(db);
  const domains = new AccountDomainStore(db);
  const lookupCache = new LookupCache();
  watchLookupTables(db, () => lookupCache.changed());
  const audit = new AuditStore(db);
  const billing = new BillingStore(db);
  const captureUsage = new CaptureUsageStore(db);
  // IMMEDIATE: the write lock is taken at BEGIN, waiting under busy_timeout.
  // A deferred transaction that reads first and then writes fails at once
  // with SQLITE_BUSY (its snapshot went stale) when the writer thread commits
  // in between, and the busy handler never runs for that case.
  const transaction = <T>(fn: () => T): T => db.transaction(fn).immediate();
  const bulk = new BulkDelete(db, messages, queries);
  return {
    engine: 'sqlite',
    file,
    messages,
    committer: new GroupCommitter(db),
    users,
    keys,
    sessions,
    addresses,
    domains,
    queries,
    audit,
    webhooks,
    bulk,
    retention: new RetentionStore(db),
    billing,
    captureUsage,
    reader: sqliteMessageReader({ messages, queries, transaction, bulk }),
    principals: sqlitePrincipalReader({ keys, sessions, users }),
    data: sqliteRepositories(db, { users, keys, sessions, addresses, domains, audit, webhooks, billing, captureUsage, queries }),
    lookups: cachedLookups({ addresses, domains }, lookupCache, () => db.inTransaction),
    transaction,
    ping: () => db.open && db.prepare('SELECT 1').pluck().get() === 1,
    checkpoint: () => checkpointTruncate(db),
    // A closed store (a test harness torn down) has nothing left to scrub.
    scrubDeleted: () => (db.open ? scrubOnce(db) : Promise.resolve({ walTruncated: true, ms: 0 })),
    backup: (target, onProgress) => backupDatabase(db, target, onProgress),
    close() {
      if (!db.open) return;
      // Fold the WAL back into the main file so a copied data dir is complete.
      try {
        checkpointTruncate(db);
      } finally {
        db.close();
      }
    },
  };
}

/**
 * Bulk deletes on this process's own connection, for processes without a
 * writer thread (the CLI, tests that build the web app alone). A bulk delete
 * is scrubbed before it resolves: a CLI process may exit right after.
 */
export function localEraser(store: Store): MessageEraser {
  const scrub = () => store.scrubDeleted();
  const later = new ScrubScheduler(scrub);
  return {
    async deleteMessages(selection) {
      const n = await store.bulk.run(selection);
      if (n > 0 && !(await scrub()).walTruncated) later.deleted();
      return n;
    },
    scrub: () => store.bulk.scrub(),
    scrubSoon: () => later.deleted(),
  };
}
