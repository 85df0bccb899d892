// The MessageReader contract (../message-reader-contract.ts) on the
// PostgreSQL engine: messages written by PgMessageWriter (ingest, then
// applyParse), read through PgMessageReader on another pool, as another
// node would read them.
import { test } from 'uvu';
import { postgresForTests } from '../../helpers/postgres.js';
import { PgMessageWriter } from '../../../src/store/pg/message-writer.js';
import { PgMessageReader } from '../../../src/store/pg/message-reader.js';
import { messageReaderContract } from '../message-reader-contract.js';

const pg = await postgresForTests(test);

if (pg) {
  const writerPool = pg.pool();
  const writer = new PgMessageWriter(writerPool);
  test.after(async () => {
    await writer.close();
    await pg.drop();
  });
  messageReaderContract(test, {
    reader: new PgMessageReader(pg.pool({ max: 4 })),
    receive: (msg) => writer.ingest(msg),
    process: async (contentId, parsed, bodyZ, rawZ) => {
      const done = writer.applyParse(contentId, parsed, bodyZ, rawZ);
      writer.flushDeferredSoon();
      await done;
    },
    createUser: async (username) => {
      const [{ id }] = await writerPool<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES (${username}, 0, 0) RETURNING id`;
      return id;
    },
    reserve: async (address, ownerId) => {
      await writerPool`INSERT INTO addresses (address, owner_id, created, updated) VALUES (${address}, ${ownerId}, 0, 0)`;
    },
  });
}

test.run();
