// The one place that imports the PostgreSQL client (issue 14). We use
// `postgres` (postgres.js, porsager/postgres, 3.x) rather than `pg`
// (node-postgres, 8.x):
//   - speed: it pipelines queries on a connection and prepares statements by
//     default, so a group commit's INSERTs and its COMMIT go out without a
//     round trip each; in its own and third-party benchmarks it is the faster
//     of the two by a wide margin for many small queries (our ingest shape);
//   - upkeep: one package with no dependencies and its own TypeScript types
//     (pg needs pg-pool, pg-types, pgpass, ... and @types/pg); notifications
//     and a lost connection arrive as plain callbacks (openListenConnection),
//     and tagged-template queries cannot be built by string concatenation.
// The rest of store/pg sees only `Sql` and openPool(), so swapping the
// client later touches this file and the queries' syntax, nothing else.
import os from 'node:os';
import postgres from 'postgres';

/**
 * int8 (bigint) columns come back as numbers: ids, sequence numbers and
 * epoch-ms times all fit in 2^53, and the rest of Mailroom (SQLite) already
 * uses numbers for them.
 */
const int8AsNumber = {
  to: 20,
  from: [20],
  serialize: (x: number) => String(x),
  parse: (x: string) => Number(x),
};

export type Sql = postgres.Sql<{ bigint: number }>;
export type TransactionSql = postgres.TransactionSql<{ bigint: number }>;

/**
 * Connections a node needs: the group committer holds one (one transaction
 * in flight at a time), the deferred writes one, and reads share the rest.
 * More than a few per core only queue inside PostgreSQL instead of here, and
 * each node's pool counts against the server's max_connections (100 by
 * default): two cores -> 8, sixteen and more -> 20.
 */
export function poolSizeFor(cores = os.availableParallelism()): number {
  return Math.min(20, Math.max(4, 4 + 2 * cores));
}

export interface PoolOptions {
  /** Connections in the pool (default poolSizeFor()). */
  max?: number;
  /** Shown in pg_stat_activity, so an operator can tell the nodes apart. */
  applicationName?: string;
  /** Server notices (e.g. "relation already exists, skipping"); default: dropped. */
  onNotice?: (message: string) => void;
}

export function openPool(url: string, opts: PoolOptions = {}): Sql {
  return postgres(url, {
    max: opts.max ?? poolSizeFor(),
    types: { bigint: int8AsNumber },
    onnotice: (n) => opts.onNotice?.(String(n.message ?? '')),
    // Idle connections are closed after a minute so a quiet node does not
    // hold server slots other nodes could use.
    idle_timeout: 60,
    connect_timeout: 10,
    connection: {
      application_name: opts.applicationName ?? 'mailroom',
      // The durability contract (GUIDE, "Durability"; issue 14): a COMMIT
      // returns only once the WAL is flushed (and, with a synchronous standby
      // configured, held there too), whatever the database's default says.
      synchronous_commit: 'on',
    },
  }) as unknown as Sql;
}

/** The message of a connection failure, for the one line the tests and the start print. */
export function describeConnectError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(' ');
}

export interface ListenHandlers {
  onNotify: (channel: string, payload: string) => void;
  /** The connection closed (server restart, network, terminated): LISTEN is gone until it is sent again. */
  onClose: () => void;
}

/**
 * One connection for LISTEN, outside the pool, whose loss the caller hears
 * (postgres.js's own sql.listen re-listens once after a loss and gives up
 * silently if the server is not back yet). A query on it reconnects.
 */
export function openListenConnection(url: string, handlers: ListenHandlers, applicationName = 'mailroom-listen'): Sql {
  return postgres(url, {
    max: 1,
    idle_timeout: null as unknown as undefined,
    max_lifetime: null,
    fetch_types: false,
    connect_timeout: 10,
    onnotice: () => {},
    onclose: () => handlers.onClose(),
    // Accepted by postgres.js (as its own listen() uses it), missing from its types.
    ...({ onnotify: (channel: string, payload: string) => handlers.onNotify(channel, payload) } as object),
    types: { bigint: int8AsNumber },
    connection: { application_name: applicationName },
  }) as unknown as Sql;
}
