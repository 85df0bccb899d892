// Write transactions on the main thread's connection take the write lock at
// BEGIN (IMMEDIATE). The writer thread commits on its own connection at any
// moment; a DEFERRED transaction that reads first and then writes fails at
// once with SQLITE_BUSY when such a commit lands in between (its snapshot is
// stale, and SQLite does not run the busy handler for that case). Seen in CI
// as a DELETE answering 500 and a parse result refused with "database is
// locked". Here a second connection plays the writer thread.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { databaseFile } from '../../src/store/db.js';
import { tempDir } from '../helpers/temp.js';

function otherWriterCanBegin(file: string): boolean {
  const other = new Database(file, { timeout: 0 });
  try {
    other.prepare('BEGIN IMMEDIATE').run();
    other.prepare('ROLLBACK').run();
    return true;
  } catch (e) {
    if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
    return false;
  } finally {
    other.close();
  }
}

test('store.transaction holds the write lock from its first statement, a read', () => {
  const dir = tempDir();
  const store = openStore(dir);
  try {
    const file = databaseFile(dir);
    assert.ok(otherWriterCanBegin(file), 'nothing holds the lock before');
    const seenInside = store.transaction(() => {
      store.messages.pendingCount();
      return otherWriterCanBegin(file);
    });
    assert.is(seenInside, false, 'another connection could start writing while the transaction had only read');
    assert.ok(otherWriterCanBegin(file), 'released after');
  } finally {
    store.close();
  }
});

test('a commit by another connection between a read and a write no longer fails the transaction', () => {
  const dir = tempDir();
  const store = openStore(dir);
  const file = databaseFile(dir);
  const other = new Database(file, { timeout: 0 });
  try {
    other.exec('CREATE TABLE IF NOT EXISTS race_probe (n INTEGER)');
    let otherRefused = false;
    store.transaction(() => {
      store.messages.pendingCount();
      // The writer thread's commit at this moment: refused now (it would wait
      // for the lock under its busy timeout), where before it went through and
      // the write below failed with SQLITE_BUSY.
      try {
        other.exec('INSERT INTO race_probe VALUES (1)');
      } catch (e) {
        otherRefused = (e as { code?: string }).code === 'SQLITE_BUSY';
      }
      store.messages.delete('no-such-message');
      store.keys.listForUser(1);
    });
    assert.ok(otherRefused);
    other.exec('INSERT INTO race_probe VALUES (2)');
    assert.is(other.prepare('SELECT count(*) FROM race_probe').pluck().get(), 1);
  } finally {
    other.close();
    store.close();
  }
});

test.run();
