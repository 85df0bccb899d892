// The billing, capture usage and webhook repositories' contract
// (billpush-repositories-contract.ts) on the SQLite engine: store.data, as
// the services use it.
import { test } from 'uvu';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';
import { withDatabaseFile } from '../helpers/database-file.js';
import { billpushRepositoriesContract } from './billpush-repositories-contract.js';

const store = openStore(tempDir());
test.after(() => store.close());

billpushRepositoriesContract(test, {
  repos: store.data,
  transaction: (fn) => store.data.transaction(fn),
  createUser: async (username) => store.users.createWithoutPassword({ username }).id,
  insertDelivery: async (d) =>
    withDatabaseFile(
      store,
      (db) =>
        Number(
          db
            .prepare(`INSERT INTO webhook_deliveries (user_id, address, message_id, kind, url, created, attempts, next_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
            .run(d.userId, d.address, d.messageId, d.kind, d.url, d.created, d.attempts, d.nextAt, d.state).lastInsertRowid,
        ),
      { write: true },
    ),
  insertActivity: async (a) =>
    withDatabaseFile(
      store,
      (db) =>
        Number(
          db
            .prepare(`INSERT INTO webhook_activity (delivery_id, user_id, address, message_id, url, at, attempt, status, latency_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
            .run(a.deliveryId, a.userId, a.address, a.messageId, a.url, a.at, a.attempt, a.status, a.latencyMs, a.error).lastInsertRowid,
        ),
      { write: true },
    ),
});

test.run();
