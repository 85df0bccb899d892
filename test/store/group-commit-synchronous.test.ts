// A deferred batch (parse results) commits with synchronous=OFF and the
// connection goes back to FULL right after, so the next urgent commit (a
// message before its 250) waits for its fsync again (GUIDE, "Durability").
// The flips are prepared statements since issue 16's run Q; this checks they
// still take effect, batch after batch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { openDatabase } from '../../src/store/db.js';
import { GroupCommitter } from '../../src/store/group-commit.js';
import { tempDir } from '../helpers/temp.js';

test('deferred batches run at synchronous=OFF; urgent commits and the connection afterwards at FULL', async () => {
  const db = openDatabase(path.join(tempDir(), 'm.db'));
  try {
    const committer = new GroupCommitter(db);
    const sync = () => Number(db.pragma('synchronous', { simple: true }));
    for (let round = 0; round < 3; round++) {
      const during = await Promise.all([committer.submitDeferred(sync), committer.submitDeferred(sync)]);
      assert.equal(during, [0, 0], `round ${round}: deferred work ran without fsync`);
      assert.is(sync(), 2, `round ${round}: FULL again after the deferred batch`);
      assert.is(await committer.submit(sync), 2, `round ${round}: an urgent commit runs at FULL`);
    }
  } finally {
    db.close();
  }
});

test.run();
