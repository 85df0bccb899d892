// The end-to-end suite (engine-suite.ts) on the embedded default, SQLite.
import { test } from 'uvu';
import { startTestMailroom } from '../helpers/mailroom.js';
import { engineSuite, e2eWebhooks, startE2eReceiver, E2E_ADMIN_KEY, type EngineNode } from './engine-suite.js';

let node: EngineNode;
let stop: () => Promise<void>;
test.before(async () => {
  const receiver = await startE2eReceiver();
  const m = await startTestMailroom({ auth: { adminKey: E2E_ADMIN_KEY }, smtp: { greetPauseMs: 0 }, webhooks: e2eWebhooks(receiver) } as never);
  node = { http: m.http, smtpPort: m.smtpAddress.port, store: m.store, receiver };
  stop = async () => {
    await m.cleanup();
    await receiver.close();
  };
});
test.after(() => stop());

engineSuite(test, () => node);

test.run();
