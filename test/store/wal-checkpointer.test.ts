// Checkpoints from another thread during a prune (store/wal-checkpointer.ts,
// issue 16): while it runs, the writer's own automatic checkpoint is off and
// the WAL is still folded into the file (so it is reused from the start
// instead of growing); afterwards the writer checkpoints itself again, and
// every committed row is there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, statSync } from 'node:fs';
import { openDatabase, type DB } from '../../src/store/db.js';
import { offloadCheckpoints } from '../../src/store/wal-checkpointer.js';
import { tempDir } from '../helpers/temp.js';
import path from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROWS = 400;
const ROW_BYTES = 20_000;

function fresh(): { dir: string; file: string; db: DB } {
  const dir = tempDir('mailroom-ckpt-');
  const file = path.join(dir, 'mailroom.db');
  const db = openDatabase(file);
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
  return { dir, file, db };
}

/** ~8 MB of rows in one transaction: hundreds of WAL pages. */
function writeRound(db: DB, round: number): void {
  const insert = db.prepare('INSERT INTO blobs (id, data) VALUES (?, randomblob(?))');
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(round * ROWS + i, ROW_BYTES);
  })();
}

const walBytes = (file: string) => statSync(`${file}-wal`).size;

test('with no checkpoint at all, a second round of writes grows the WAL (the control)', () => {
  const { dir, file, db } = fresh();
  try {
    db.pragma('wal_autocheckpoint = 0');
    writeRound(db, 0);
    const one = walBytes(file);
    writeRound(db, 1);
    assert.ok(walBytes(file) > one * 1.8, `${walBytes(file)} after two rounds, ${one} after one`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the thread folds the WAL into the file while the writer only appends, and hands the automatic checkpoint back', async () => {
  const { dir, file, db } = fresh();
  try {
    const off = offloadCheckpoints(db, file, 5);
    assert.is(db.pragma('wal_autocheckpoint', { simple: true }), 0, 'the writer does not checkpoint itself meanwhile');
    writeRound(db, 0);
    const one = walBytes(file);
    // The thread catches up; the writer's next transaction then starts the WAL over.
    await sleep(300);
    writeRound(db, 1);
    assert.ok(walBytes(file) < one * 1.3, `WAL ${walBytes(file)} bytes after two rounds, ${one} after one: it was reused`);
    const ran = await off.stop();
    assert.ok(ran > 0, `${ran} checkpoints`);
    assert.is(db.pragma('wal_autocheckpoint', { simple: true }), 1000, 'restored');
    assert.is(db.pragma('synchronous', { simple: true }), 2, 'the writer is still synchronous=FULL');
    db.close();
    const again = openDatabase(file);
    assert.is(again.prepare('SELECT count(*) FROM blobs').pluck().get(), 2 * ROWS, 'every committed row is in the file');
    again.close();
  } finally {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stop() twice resolves both times', async () => {
  const { dir, file, db } = fresh();
  try {
    const off = offloadCheckpoints(db, file, 5);
    const [a, b] = await Promise.all([off.stop(), off.stop()]);
    assert.is(a, b);
    assert.is(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
