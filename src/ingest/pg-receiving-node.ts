// A node that only receives SMTP mail into the PostgreSQL store (issue 14):
// the engine (pg-engine.ts) behind the same SMTP receiver the SQLite engine
// uses, deciding recipients (account domains, catch-alls, owned inboxes) and
// forwards as a whole node does, without the web, push or jobs. The tests
// that SIGKILL a receiving node and the ingest bench use it; a whole node is
// postgres-node.ts.
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Sql } from '../store/pg/driver.js';
import type { PgMessageWriter } from '../store/pg/message-writer.js';
import type { PgIngest } from './pg-ingest.js';
import type { PgReadyEvents } from './pg-ready-events.js';
import { openPgEngine, type PgEngineOptions } from './pg-engine.js';
import { SmtpReceiver } from '../smtp/receiver.js';
import { receiverOwnership } from '../smtp/receiver-ownership.js';
import { ingestWithForwards } from '../push/forwarding.js';
import type { Repositories } from '../store/repositories.js';

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

export interface PgNodeOptions extends PgEngineOptions {
  smtpPort?: number;
  /**
   * The store's repositories on this engine (pgRepositories), for the owned
   * addresses and account domains the receiver asks about; absent: this
   * engine's store's own.
   */
  data?: Pick<Repositories, 'addresses' | 'domains'>;
}

export async function startPgReceivingNode(config: Config, log: Logger, opts: PgNodeOptions = {}): Promise<PgReceivingNode> {
  const engine = await openPgEngine(config, log, opts);
  try {
    const { sql, writer, ingest, ready } = engine;
    const data = opts.data ?? engine.store.data;
    // Forwarded copies are stored in the same commit as the original, as on SQLite.
    const forwarded = ingestWithForwards({ data }, config, (message) => ingest.ingest(message));
    const smtp = new SmtpReceiver({
      config,
      ingest: forwarded.ingest,
      ...receiverOwnership(data),
      pendingMessages: () => ingest.pendingMessages + forwarded.inProgress(),
      queuedMessages: () => ingest.queuedMessages + forwarded.inProgress(),
      watchBacklog: (listener) => ingest.watchBacklog(listener),
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
        await engine.close();
      },
    };
  } catch (err) {
    await engine.close();
    throw err;
  }
}
