// One node receiving SMTP mail into the PostgreSQL store (issue 14): the
// connection pool, the migrations (once across nodes), the group-committing
// writer, the parse pipeline and this node's LISTEN for ready events, behind
// the same SMTP receiver the SQLite engine uses, deciding recipients
// (account domains, catch-alls, owned inboxes) and forwards as main.ts
// does. This is the write half of a PostgreSQL node; main.ts does not start
// it yet because the web, API and push still read through the synchronous
// SQLite repositories (docs/scaling.md).
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { openPool, type Sql } from '../store/pg/driver.js';
import { runPgMigrations } from '../store/pg/migrate.js';
import { PgMessageWriter } from '../store/pg/message-writer.js';
import { PgIngest } from './pg-ingest.js';
import { PgReadyEvents } from './pg-ready-events.js';
import { SmtpReceiver } from '../smtp/receiver.js';
import { receiverOwnership } from '../smtp/receiver-ownership.js';
import { withForwards } from '../push/forwarding.js';
import type { Repositories } from '../store/repositories.js';
import { pgOwnershipRepositories } from '../store/pg/ownership-repositories.js';

export interface PgReceivingNode {
  sql: Sql;
  writer: PgMessageWriter;
  ingest: PgIngest;
  /** Ready events of every node, this one included. */
  ready: PgReadyEvents;
  smtp: SmtpReceiver;
  smtpAddress: AddressInfo;
  stop(): Promise<void>;
}

export interface PgNodeOptions {
  smtpPort?: number;
  /** How often a node looks for mail another node left pending, and how old it must be (default a minute each). */
  sweepIntervalMs?: number;
  sweepStaleMs?: number;
  /**
   * The store's repositories on this engine (pgRepositories), for the owned
   * addresses and account domains the receiver asks about; absent: this
   * node's pool's own (pgOwnershipRepositories).
   */
  data?: Pick<Repositories, 'addresses' | 'domains'>;
}

export async function startPgReceivingNode(config: Config, log: Logger, opts: PgNodeOptions = {}): Promise<PgReceivingNode> {
  if (!config.storage.postgresUrl) throw new Error('storage.postgresUrl is required for the postgres engine');
  const sql = openPool(config.storage.postgresUrl, { onNotice: (m) => log.debug({ notice: m }, 'postgres notice') });
  try {
    const applied = await runPgMigrations(sql);
    if (applied.length) log.info({ versions: applied }, 'postgres migrations applied');
    const writer = new PgMessageWriter(sql);
    const ingest = new PgIngest(sql, writer, log.child({ component: 'parse' }));
    const ready = await PgReadyEvents.start(config.storage.postgresUrl, sql, { log: log.child({ component: 'ready-events' }) });
    const resumed = await ingest.resume();
    if (resumed) log.info({ count: resumed }, 'parsing messages received but not processed');
    // A node that dies and does not come back leaves its pending mail to the others.
    ingest.startSweeping(opts.sweepIntervalMs, opts.sweepStaleMs);
    const data = opts.data ?? pgOwnershipRepositories(sql);
    const smtp = new SmtpReceiver({
      config,
      // Forwarded copies are stored in the same commit as the original, as on SQLite.
      ingest: async (message) => ingest.ingest(await withForwards({ data }, config, message)),
      ...receiverOwnership(data),
      pendingMessages: () => ingest.pendingMessages,
      log: log.child({ component: 'smtp' }),
      ...(opts.smtpPort !== undefined ? { port: opts.smtpPort } : {}),
    });
    const smtpAddress = await smtp.listen();
    return {
      sql,
      writer,
      ingest,
      ready,
      smtp,
      smtpAddress,
      async stop() {
        // Stop taking mail, commit what was acknowledged, then process it.
        await smtp.close();
        await ingest.close();
        await writer.close();
        await ready.close();
        await sql.end({ timeout: 5 });
      },
    };
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw err;
  }
}
