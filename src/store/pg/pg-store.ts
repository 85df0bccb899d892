// The store of a PostgreSQL node (issue 14): the same engine-neutral
// interfaces the SQLite Store offers (engine-store.ts), over one pool shared
// with this node's writer. Nothing here opens or closes the pool.
import type { Sql } from './driver.js';
import type { EngineStore } from '../engine-store.js';
import { PgMessageReader } from './message-reader.js';
import { PgPrincipalReader } from './principal-reader.js';
import { pgRepositories } from './repositories.js';

export interface PgStore extends EngineStore {
  readonly engine: 'postgres';
  sql: Sql;
}

export function pgStore(sql: Sql): PgStore {
  return {
    engine: 'postgres',
    sql,
    reader: new PgMessageReader(sql),
    principals: new PgPrincipalReader(sql),
    data: pgRepositories(sql),
    // After the node ended the pool, queries are refused: false, as a closed SQLite store.
    async ping() {
      try {
        const [r] = await sql<{ one: number }[]>`SELECT 1 AS one`;
        return r?.one === 1;
      } catch {
        return false;
      }
    },
  };
}
