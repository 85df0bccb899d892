// The owned addresses and account domains contract
// (../ownership-repositories-contract.ts) on the PostgreSQL engine:
// pgOwnershipRepositories on one pool, its transactions on one pooled
// connection (sql.begin, as pgRepositories composes them); messages stored by
// PgMessageWriter and starred by PgMessageReader, as another node would.
import { test } from 'uvu';
import { postgresForTests } from '../../helpers/postgres.js';
import { PgMessageWriter } from '../../../src/store/pg/message-writer.js';
import { PgMessageReader } from '../../../src/store/pg/message-reader.js';
import { pgOwnershipRepositories } from '../../../src/store/pg/ownership-repositories.js';
import { ownershipRepositoriesContract } from '../ownership-repositories-contract.js';
import { incoming } from './_incoming.js';

const pg = await postgresForTests(test);

if (pg) {
  const sql = pg.pool({ max: 4 });
  const writerPool = pg.pool({ max: 2 });
  const writer = new PgMessageWriter(writerPool);
  const reader = new PgMessageReader(pg.pool({ max: 2 }));
  test.after(async () => {
    await writer.close();
    await pg.drop();
  });
  ownershipRepositoriesContract(test, {
    repos: {
      ...pgOwnershipRepositories(sql),
      transaction: (fn) => sql.begin((tx) => fn(pgOwnershipRepositories(tx))) as Promise<never>,
    },
    createUser: async (username) => {
      const [{ id }] = await writerPool<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES (${username}, 0, 0) RETURNING id`;
      return id;
    },
    receive: async (inbox) => (await writer.ingest(incoming({ to: [inbox], subject: 'star me' }))).messageIds[0]!,
    star: (id, userId) => reader.setStarred(id, true, userId),
    stars: async (id) => {
      const [r] = await writerPool<{ starred: boolean; saved_by: number | null }[]>`SELECT starred, saved_by FROM messages WHERE id = ${id}`;
      return { starred: r!.starred, savedBy: r!.saved_by };
    },
  });
}

test.run();
