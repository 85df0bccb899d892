// The MessageReader contract (../message-reader-contract.ts) on the
// PostgreSQL engine: messages written by PgMessageWriter (ingest, then
// applyParse), read through PgMessageReader on another pool, as another
// node would read them.
import { test } from 'uvu';
import { postgresForTests } from '../../helpers/postgres.js';
import { PgMessageWriter } from '../../../src/store/pg/message-writer.js';
import { PgMessageReader } from '../../../src/store/pg/message-reader.js';
import { messageReaderContract } from '../message-reader-contract.js';
import { parseMessage } from '../../../src/mail/parse.js';
import { incoming } from './_incoming.js';
import * as assert from 'uvu/assert';

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

  test('two nodes deleting the two copies of a message at once: the content goes with the last copy, whichever node removes it', async () => {
    const nodeA = new PgMessageReader(pg.pool({ max: 2 }));
    const nodeB = new PgMessageReader(pg.pool({ max: 2 }));
    for (let round = 0; round < 20; round++) {
      const msg = incoming({ to: [`race${round}a@mailroom.test`, `race${round}b@mailroom.test`], subject: `race ${round}` });
      const ids = await writer.ingest(msg);
      const done = writer.applyParse(ids.contentId, await parseMessage(msg.raw));
      writer.flushDeferredSoon();
      await done;
      const deleted = await Promise.all([nodeA.delete(ids.messageIds[0]!), nodeB.delete(ids.messageIds[1]!)]);
      assert.equal(deleted, [true, true]);
      const [{ n }] = await writerPool<{ n: number }[]>`SELECT count(*)::int AS n FROM contents WHERE id = ${ids.contentId}`;
      assert.is(n, 0, `round ${round}: no content left without a copy`);
    }
  });
}

test.run();
