// The end-to-end suite (engine-suite.ts) on PostgreSQL: one whole node
// (postgres-node.ts) on a fresh database.
import { test } from 'uvu';
import { rmSync } from 'node:fs';
import { startPostgresNode } from '../../src/postgres-node.js';
import { silentLogger } from '../../src/log.js';
import { testConfig } from '../helpers/mailroom.js';
import { postgresForTests } from '../helpers/postgres.js';
import { engineSuite, e2eWebhooks, startE2eReceiver, E2E_ADMIN_KEY, type EngineNode } from './engine-suite.js';

const pg = await postgresForTests(test);

if (pg) {
  let node: EngineNode;
  let stop: () => Promise<void>;
  test.before(async () => {
    const receiver = await startE2eReceiver();
    const config = testConfig({
      auth: { adminKey: E2E_ADMIN_KEY },
      smtp: { greetPauseMs: 0 },
      webhooks: e2eWebhooks(receiver),
      storage: { engine: 'postgres', postgresUrl: pg.url },
    } as never);
    const n = await startPostgresNode(config, silentLogger());
    node = { http: `http://127.0.0.1:${n.httpAddress.port}`, smtpPort: n.smtpAddress.port, store: n.store, receiver };
    stop = async () => {
      await n.stop();
      await receiver.close();
      rmSync(config.storage.dataDir, { recursive: true, force: true });
      await pg.drop();
    };
  });
  test.after(() => stop());

  engineSuite(test, () => node);
}

test.run();
