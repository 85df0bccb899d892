// The billing, capture usage and webhook repositories' contract
// (../billpush-repositories-contract.ts) on the PostgreSQL engine:
// pgBillpushRepositories on one pool, inside transactions on it too, with
// users and planted rows written on another, as another node would.
import { test } from 'uvu';
import { postgresForTests } from '../../helpers/postgres.js';
import { pgBillpushRepositories } from '../../../src/store/pg/billpush-repositories.js';
import { billpushRepositoriesContract } from '../billpush-repositories-contract.js';

const pg = await postgresForTests(test);

if (pg) {
  const sql = pg.pool({ max: 2 });
  const node = pg.pool({ max: 4 });
  test.after(() => pg.drop());
  billpushRepositoriesContract(test, {
    repos: pgBillpushRepositories(node),
    transaction: (fn) => node.begin((tx) => fn(pgBillpushRepositories(tx))) as Promise<never>,
    createUser: async (username) => {
      const [{ id }] = await sql<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES (${username}, 0, 0) RETURNING id`;
      return id;
    },
    insertDelivery: async (d) => {
      const [{ id }] = await sql<{ id: number }[]>`
        INSERT INTO webhook_deliveries (user_id, address, message_id, kind, url, created, attempts, next_at, state)
        VALUES (${d.userId}, ${d.address}, ${d.messageId}, ${d.kind}, ${d.url}, ${d.created}, ${d.attempts}, ${d.nextAt}, ${d.state}) RETURNING id`;
      return id;
    },
    insertActivity: async (a) => {
      const [{ id }] = await sql<{ id: number }[]>`
        INSERT INTO webhook_activity (delivery_id, user_id, address, message_id, url, at, attempt, status, latency_ms, error)
        VALUES (${a.deliveryId}, ${a.userId}, ${a.address}, ${a.messageId}, ${a.url}, ${a.at}, ${a.attempt}, ${a.status}, ${a.latencyMs}, ${a.error}) RETURNING id`;
      return id;
    },
  });
}

test.run();
