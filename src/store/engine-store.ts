// What the services, the web, push and the CLI may use of a store whatever
// its engine (issue 14): the message reads, who is asking, and the account
// repositories, all behind promises. The SQLite Store (index.ts) is one; the
// PostgreSQL store (pg/pg-store.ts) another. A module typed with EngineStore
// instead of Store runs on both: the compiler says what still reaches for a
// synchronous SQLite repository.
import type { MessageReader } from './message-reader.js';
import type { PrincipalReader } from './principal-reader.js';
import type { Repositories } from './repositories.js';
import type { Store } from './index.js';
import type { RecipientLookups } from './lookup-cache.js';

export interface EngineStore {
  readonly engine: 'sqlite' | 'postgres';
  reader: MessageReader;
  principals: PrincipalReader;
  data: Repositories;
  /**
   * What the SMTP receiver asks per recipient, cached (SQLite, lookup-cache.ts);
   * absent: it asks `data` (PostgreSQL: the lookups leave this thread anyway,
   * and another node's change could only be seen on a timer).
   */
  lookups?: RecipientLookups;
  /** Whether the database answers (/healthz); SQLite answers at once. */
  ping(): boolean | Promise<boolean>;
}

/**
 * The SQLite Store behind an EngineStore, for a default that exists on that
 * engine only (a bulk eraser on this connection, the SQLite webhook queue);
 * on another engine the caller must pass its own, and this says which.
 */
export function sqliteOnly(store: EngineStore, what: string): Store {
  if (store.engine !== 'sqlite') throw new Error(`${what} must be given on the ${store.engine} engine`);
  return store as Store;
}
