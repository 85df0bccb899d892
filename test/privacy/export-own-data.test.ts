// An export holds only the requester's own data (issue 13 item 4): no audit
// entries of an address's previous owner, no logins of a deleted user whose id
// a new user got. User ids are never reused (migration 010, AUTOINCREMENT),
// and the rebuild of the users table keeps every key, session and address.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tempDir, testConfig } from '../helpers/mailroom.js';
import { openStore, type Store } from '../../src/store/index.js';
import { databaseFile, openDatabase } from '../../src/store/db.js';
import { sqlValue, withDatabaseFile } from '../helpers/database-file.js';
import { loadMigrations, runMigrations } from '../../src/store/migrate.js';
import { exportData, type Subject } from '../../src/services/data-rights.js';

const BOX = 'handed.down@mailroom.test';

async function manifestOf(store: Store, s: Subject): Promise<any> {
  const chunks: Buffer[] = [];
  await exportData(store, s, (c) => void chunks.push(Buffer.from(c)), { config: testConfig() });
  // Entries are stored (ZIP method 0), so the manifest is plain text in the archive.
  const zip = Buffer.concat(chunks).toString('utf8');
  const start = zip.indexOf('{\n  "format": "mailroom-export/1"');
  const end = zip.indexOf('\n}\n', start);
  return JSON.parse(zip.slice(start, end + 2));
}

test('a new user never gets a deleted user\'s id, nor sees that user\'s logins', async () => {
  const dir = tempDir();
  const store = openStore(dir);
  try {
    await store.users.create({ username: 'early', role: 'user' });
    const gone = await store.users.create({ username: 'leaver', role: 'user' });
    store.audit.record({ actorId: gone.id, actor: 'leaver', action: 'login', target: 'leaver', ip: '203.0.113.7' });
    store.users.eraseAccount(gone.id);
    const fresh = await store.users.create({ username: 'newcomer', role: 'user' });
    assert.is.not(fresh.id, gone.id, 'id reused');
    const manifest = await manifestOf(store, { kind: 'account', userId: fresh.id });
    assert.equal(manifest.audit.filter((e: any) => e.actor === 'leaver'), []);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an address export holds audit entries only from the requester\'s ownership', async () => {
  const dir = tempDir();
  const store = openStore(dir);
  try {
    const first = await store.users.create({ username: 'firstowner', role: 'user' });
    const second = await store.users.create({ username: 'secondowner', role: 'user' });
    const t0 = Date.now();
    store.addresses.reserve(BOX, first.id);
    store.audit.record({ actorId: first.id, actor: 'firstowner', action: 'export', target: BOX, at: t0 - 60_000 });
    store.audit.record({ actorId: null, actor: 'admin', action: 'read-inbox', target: BOX, at: t0 - 50_000 });
    store.addresses.release(BOX);
    store.addresses.reserve(BOX, second.id);
    store.audit.record({ actorId: second.id, actor: 'secondowner', action: 'export', target: BOX });
    for (const s of [{ kind: 'address', inbox: BOX }, { kind: 'account', userId: second.id }] as Subject[]) {
      const manifest = await manifestOf(store, s);
      const actors = manifest.audit.map((e: any) => e.actor);
      assert.ok(actors.includes('secondowner'), `${s.kind}: own entry missing`);
      assert.not.ok(actors.includes('firstowner'), `${s.kind}: previous owner's entry`);
      assert.not.ok(actors.includes('admin'), `${s.kind}: entry from the previous ownership`);
    }
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an account export holds its own domains and their push settings, not another account\'s', async () => {
  const dir = tempDir();
  const store = openStore(dir);
  try {
    const owner = await store.users.create({ username: 'domainowner', role: 'user' });
    const other = await store.users.create({ username: 'neighbour', role: 'user' });
    store.domains.add('mine.example', owner.id, 'token-mine');
    store.domains.add('theirs.example', other.id, 'token-theirs');
    store.domains.updateSettings('mine.example', { forward: null, enablews: true, webhook: 'https://hooks.example/in', webhookSlack: null, webhookSlackToFrom: false });
    const manifest = await manifestOf(store, { kind: 'account', userId: owner.id });
    assert.equal(
      manifest.account.domains.map((d: any) => [d.domain, d.verificationToken, d.webhook, d.enablews]),
      [['mine.example', 'token-mine', 'https://hooks.example/in', true]],
    );
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migration 010 rebuilds users with AUTOINCREMENT and keeps keys, sessions, addresses and stars', async () => {
  const dir = tempDir();
  const file = databaseFile(dir);
  // A database as it was before: migrations up to 009, a user deleted at the top of the id range.
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  runMigrations(db, loadMigrations().filter((m) => m.version < 10));
  const now = Date.now();
  const addUser = db.prepare(`INSERT INTO users (username, role, created, updated) VALUES (?, 'user', ?, ?)`);
  const keeper = Number(addUser.run('keeper', now, now).lastInsertRowid);
  const top = Number(addUser.run('top', now, now).lastInsertRowid);
  db.prepare(`INSERT INTO api_keys (user_id, name, hash, created) VALUES (?, 'k', 'abc', ?)`).run(keeper, now);
  db.prepare(`INSERT INTO sessions (hash, user_id, created, expires, last_seen) VALUES ('s1', ?, ?, ?, ?)`).run(keeper, now, now + 1e6, now);
  db.prepare(`INSERT INTO addresses (address, owner_id, created, updated) VALUES (?, ?, ?, ?)`).run(BOX, keeper, now, now);
  db.prepare(`INSERT INTO audit_log (at, actor_id, actor, action) VALUES (?, ?, 'top', 'login')`).run(now, top);
  db.prepare('DELETE FROM users WHERE id = ?').run(top);
  db.close();

  const store = openStore(dir);
  try {
    assert.is(store.keys.listForUser(keeper).length, 1);
    assert.is(sqlValue(store, 'SELECT count(*) FROM sessions WHERE user_id = ?', keeper), 1);
    assert.is(store.addresses.ownerOf(BOX), keeper);
    assert.equal(withDatabaseFile(store, (db) => db.pragma('foreign_key_check')), []);
    // foreign_keys is per connection: a connection opened as the store opens its own has them on.
    const check = openDatabase(store.file);
    try {
      assert.ok(Number(check.pragma('foreign_keys', { simple: true })) === 1, 'foreign keys on');
    } finally {
      check.close();
    }
    const next = await store.users.create({ username: 'after', role: 'user' });
    assert.ok(next.id > top, `id ${next.id} reuses ${top}`);
    // Deleting the user still cascades to its keys (the references point at the new table).
    store.users.eraseAccount(keeper);
    assert.is(sqlValue(store, 'SELECT count(*) FROM api_keys'), 0);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
