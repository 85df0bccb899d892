// Users, API keys, sessions, reserved addresses and the search index, on a
// real SQLite file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { openStore, type Store } from '../../src/store/index.js';
import { hashKey } from '../../src/store/api-keys.js';
import { tempDir } from '../helpers/mailroom.js';
import type { ParsedMessage } from '../../src/mail/types.js';
import { sqlValue, withDatabaseFile } from '../helpers/database-file.js';

let dir: string;
let store: Store;

test.before(() => {
  dir = tempDir('mailroom-store-accounts-');
  store = openStore(dir);
});

test.after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('passwords: scrypt hash with salt, checked, never stored in clear', async () => {
  const u = await store.users.create({ username: 'pat', password: 'a long password 1' });
  assert.is(u.hasPassword, true);
  const stored = sqlValue(store, 'SELECT password_hash FROM users WHERE id = ?', u.id) as string;
  assert.match(stored, /^scrypt\$/);
  assert.not.ok(stored.includes('a long password 1'));
  assert.is((await store.users.checkPassword('pat', 'a long password 1'))?.id, u.id);
  assert.is(await store.users.checkPassword('pat', 'a long password 2'), null);
  assert.is(await store.users.checkPassword('nobody', 'a long password 1'), null);
  // Same password, different salt.
  const v = await store.users.create({ username: 'pat2', password: 'a long password 1' });
  assert.is.not(sqlValue(store, 'SELECT password_hash FROM users WHERE id = ?', v.id), stored);
  let threw = false;
  try {
    await store.users.create({ username: 'PAT' });
  } catch {
    threw = true;
  }
  assert.ok(threw, 'user names are unique regardless of case');
  assert.throws(() => store.users.createWithoutPassword({ username: 'bad name' }));
  assert.is((await store.users.checkPassword('pat2', 'x'.repeat(10))), null);
  const keyOnly = store.users.createWithoutPassword({ username: 'robot' });
  assert.is(await store.users.checkPassword('robot', ''), null, 'no password: no web login');
  void keyOnly;
});

test('keys: random, prefixed, stored as sha256, several per user, revocable', () => {
  const u = store.users.createWithoutPassword({ username: 'keyholder' });
  const a = store.keys.create(u.id, 'ci');
  const b = store.keys.create(u.id, 'laptop');
  assert.match(a.key, /^mr_[A-Za-z0-9_-]{43}$/);
  assert.is.not(a.key, b.key);
  const rows = withDatabaseFile(store, (db) => db.prepare('SELECT hash, hint FROM api_keys WHERE user_id = ?').all(u.id)) as Array<{ hash: string; hint: string }>;
  assert.equal(rows.map((r) => r.hash), [hashKey(a.key), hashKey(b.key)]);
  assert.ok(rows.every((r) => r.hint.length === 7));
  const dump = JSON.stringify(withDatabaseFile(store, (db) => db.prepare('SELECT * FROM api_keys').all()));
  assert.not.ok(dump.includes(a.key) || dump.includes(b.key), 'keys are not stored');
  assert.is(store.keys.findByHash(hashKey(a.key))?.name, 'ci');
  assert.is(store.keys.listForUser(u.id).length, 2);
  assert.ok(store.keys.revoke(a.record.id));
  assert.not.ok(store.keys.revoke(a.record.id), 'revoking twice changes nothing');
  assert.is(store.keys.findByHash(hashKey(a.key)), null);
  assert.is(store.keys.findByHash(hashKey(b.key))?.name, 'laptop');
});

test('sessions: token hashed, expiring, removable', () => {
  const u = store.users.createWithoutPassword({ username: 'sessioned' });
  const t = store.sessions.create(u.id, 60_000);
  assert.is(store.sessions.get(t, 60_000)?.userId, u.id);
  assert.is(sqlValue(store, 'SELECT count(*) FROM sessions WHERE hash = ?', t), 0, 'the token itself is not stored');
  const expired = store.sessions.create(u.id, -1);
  assert.is(store.sessions.get(expired, 60_000), null);
  assert.is(store.sessions.get('not a token', 60_000), null);
  store.sessions.remove(t);
  assert.is(store.sessions.get(t, 60_000), null);
});

test('addresses: one owner each, forwarding fields kept across partial updates, release', () => {
  const u = store.users.createWithoutPassword({ username: 'owner1' });
  const v = store.users.createWithoutPassword({ username: 'owner2' });
  const a = store.addresses.reserve('box@mailroom.test', u.id, { info: 'x', forward: 'f@example.org' });
  assert.is(a.ownerName, 'owner1');
  assert.throws(() => store.addresses.reserve('box@mailroom.test', v.id), /UNIQUE|PRIMARY/);
  const up = store.addresses.update('box@mailroom.test', { webhook: 'https://h.example/x', enablews: true })!;
  assert.is(up.forward, 'f@example.org', 'untouched fields are kept');
  assert.is(up.webhook, 'https://h.example/x');
  assert.is(up.enablews, true);
  assert.is(store.addresses.update('box@mailroom.test', { forward: '' })!.forward, null);
  assert.is(store.addresses.ownerOf('box@mailroom.test'), u.id);
  assert.ok(store.addresses.release('box@mailroom.test'));
  assert.is(store.addresses.ownerOf('box@mailroom.test'), null);
});

function parsed(subject: string, text: string): ParsedMessage {
  return { ok: true, error: '', subject, from: [{ address: 'from@example.org', name: 'Fromm' }], to: [], cc: [], bcc: [], replyTo: [], date: null, messageId: '', text, html: '', headers: [], links: [], attachments: [] };
}

test('search index follows parsing, re-parsing and deletion', () => {
  const ids = store.transaction(() =>
    store.messages.insertReceived({ raw: Buffer.from('Subject: x\r\n\r\ny'), mailFrom: 'env@example.org', recipients: [{ inbox: 'fts@mailroom.test', original: 'fts@mailroom.test', domain: 'mailroom.test' }], ip: '', helo: '', tls: false, received: Date.now() }),
  );
  const find = (q: string) => store.queries.search({ kind: 'all' }, q);
  assert.equal(find('env@example.org'), [], 'not indexed while pending');
  store.messages.applyParse(ids.contentId, parsed('first subject', 'aardvark'));
  assert.equal(find('aardvark'), ids.messageIds);
  assert.equal(find('Fromm'), ids.messageIds);
  assert.equal(find('fts@mailroom.test'), ids.messageIds, 'envelope recipients');
  store.messages.applyParse(ids.contentId, parsed('second subject', 'bonobo'));
  assert.equal(find('aardvark'), [], 're-parsing replaces the entry');
  assert.equal(find('bonobo'), ids.messageIds);
  store.messages.delete(ids.messageIds[0]!);
  assert.equal(find('bonobo'), []);
  assert.is(sqlValue(store, `SELECT count(*) FROM message_fts WHERE message_fts MATCH '"bonobo"'`), 0);
});

test('deleting a user removes their keys, sessions and reservations', () => {
  const u = store.users.createWithoutPassword({ username: 'leaver' });
  const { key } = store.keys.create(u.id);
  store.sessions.create(u.id, 60_000);
  store.addresses.reserve('leaver@mailroom.test', u.id);
  store.users.remove(u.id);
  assert.is(store.keys.findByHash(hashKey(key)), null);
  assert.is(store.addresses.ownerOf('leaver@mailroom.test'), null);
  assert.is(sqlValue(store, 'SELECT count(*) FROM sessions WHERE user_id = ?', u.id), 0);
});

test.run();
