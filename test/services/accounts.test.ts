// The accounts service (src/services/accounts.ts): the rules the API, the
// account pages and the CLI share, on a real SQLite file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { openStore, type Store } from '../../src/store/index.js';
import { AccountService, ensureAdmin } from '../../src/services/accounts.js';
import { runCli } from '../../src/cli/main.js';
import { testConfig, tempDir } from '../helpers/mailroom.js';
import type { Config } from '../../src/config.js';

let dir: string;
let store: Store;
let config: Config;
let accounts: AccountService;

test.before(() => {
  dir = tempDir('mailroom-accounts-');
  config = testConfig({}, dir);
  store = openStore(dir);
  accounts = new AccountService({ store, config });
});

test.after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('passwords: 10 to 1024 characters, for visitors and the operator alike', async () => {
  assert.equal(await accounts.createUser({ username: 'shorty', password: 'short', selfService: true }), { ok: false, reason: 'too-short' });
  assert.equal(await accounts.createUser({ username: 'shorty', password: 'short' }), { ok: false, reason: 'too-short' });
  assert.equal(await accounts.createUser({ username: 'longy', password: 'x'.repeat(1025) }), { ok: false, reason: 'too-long' });
  // The operator may create a key-only user; a visitor must set a password.
  assert.ok((await accounts.createUser({ username: 'keyonly' })).ok);
  assert.equal(await accounts.createUser({ username: 'visitor' , selfService: true }), { ok: false, reason: 'too-short' });
  const u = (await accounts.createUser({ username: 'pat', password: 'pat-password-1' }));
  assert.ok(u.ok);
  assert.equal(await accounts.createUser({ username: 'pat', password: 'pat-password-1' }), { ok: false, reason: 'taken' });
});

test('names: visitors cannot take the operator-looking ones; the operator can', async () => {
  assert.equal(await accounts.createUser({ username: 'Root', password: 'root-password-1', selfService: true }), { ok: false, reason: 'bad-name' });
  assert.equal(await accounts.createUser({ username: 'has space', password: 'x-password-12' }), { ok: false, reason: 'bad-name' });
  assert.ok((await accounts.createUser({ username: 'root', password: 'root-password-1' })).ok);
});

test('the last admin keeps the role: through the service and through the CLI', async () => {
  const boss = await accounts.createUser({ username: 'boss', password: 'boss-password-1', role: 'admin' });
  assert.ok(boss.ok);
  const b = store.users.byName('boss')!;
  assert.equal(await accounts.setRole(b, 'user'), { ok: false, reason: 'last-admin' });
  let failed = '';
  try {
    await runCli(['user', 'role', 'boss', 'user'], { store, config }, { out: () => {}, err: () => {}, stdin: async () => '' });
  } catch (e) {
    failed = (e as Error).message;
  }
  assert.is(failed, 'boss is the last admin');
  assert.is(store.users.byName('boss')!.role, 'admin');
  // With a second admin the first may step down.
  assert.equal(await accounts.setRole(store.users.byName('pat')!, 'admin'), { ok: true, value: { changed: true } });
  assert.equal(await accounts.setRole(b, 'user'), { ok: true, value: { changed: true } });
  assert.equal(await accounts.setRole(store.users.byName('boss')!, 'user'), { ok: true, value: { changed: false } });
});

test('a new password signs the user out everywhere; keys are revoked once and only by their owner', async () => {
  const pat = store.users.byName('pat')!;
  const token = await accounts.startSession(pat.id);
  assert.ok(store.sessions.get(token, 60_000));
  assert.ok((await accounts.setPassword(pat.id, 'another-password-2')).ok);
  assert.is(store.sessions.get(token, 60_000), null);
  assert.ok(await accounts.checkPassword('pat', 'another-password-2'));
  assert.is(await accounts.checkPassword('pat', 'pat-password-1'), null);

  const { record } = await accounts.createKey(pat.id, '  laptop  ');
  assert.is(record.name, 'laptop');
  const other = store.users.byName('root')!;
  assert.equal(await accounts.revokeKey(record.id, { ownerId: other.id }), { ok: false, reason: 'not-yours' });
  assert.ok((await accounts.revokeKey(record.id, { ownerId: pat.id })).ok);
  assert.equal(await accounts.revokeKey(record.id), { ok: false, reason: 'already-revoked' });
  assert.equal(await accounts.revokeKey(99_999), { ok: false, reason: 'no-such-key' });
});

test('ensureAdmin called twice at once (two first admin-key requests) makes one admin user and answers it to both', async () => {
  const d = tempDir('mailroom-accounts-admin-');
  const s = openStore(d);
  try {
    const withKey = { auth: { ...config.auth, adminKey: 'race-admin-key-0123456789abcdef' } };
    const [a, b] = await Promise.all([ensureAdmin(s, withKey), ensureAdmin(s, withKey)]);
    assert.ok(a && b);
    assert.is(a!.id, b!.id);
    assert.equal((await s.data.users.list()).map((u) => [u.username, u.role]), [['admin', 'admin']]);
  } finally {
    s.close();
    rmSync(d, { recursive: true, force: true });
  }
});

test.run();
