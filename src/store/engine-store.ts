// What the services, the web, push and the CLI may use of a store whatever
// its engine (issue 14): the message reads, who is asking, and the account
// repositories, all behind promises. The SQLite Store (index.ts) is one; the
// PostgreSQL store (pg/pg-store.ts) another. A module typed with EngineStore
// instead of Store runs on both: the compiler says what still reaches for a
// synchronous SQLite repository.
import type { MessageReader } from './message-reader.js';
import type { PrincipalReader } from './principal-reader.js';
import type { Repositories } from './repositories.js';

export interface EngineStore {
  readonly engine: 'sqlite' | 'postgres';
  reader: MessageReader;
  principals: PrincipalReader;
  data: Repositories;
}
