// The contract of the account repositories (issue 14): users, API keys,
// sessions and the audit log as repositories.ts declares them, answered alike
// by both engines (account-repositories-sqlite.test.ts on store.data,
// pg/account-repositories.test.ts on pgAccountRepositories). Values are
// compared exactly, times within the test's own clock readings.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashKey, KEY_PREFIX } from '../../src/store/api-keys.js';
import { verifyPassword } from '../../src/store/users.js';
import type { Repositories } from '../../src/store/repositories.js';

export type AccountRepositories = Pick<Repositories, 'users' | 'keys' | 'sessions' | 'audit'>;

export interface AccountEngine {
  repos: AccountRepositories;
  /** Runs fn in one transaction of this engine with repositories bound to it. */
  inTransaction<T>(fn: (tx: AccountRepositories) => Promise<T>): Promise<T>;
  /** The stored password hash ('' for none), to see how it was made. */
  passwordHash(userId: number): Promise<string>;
  /** Reserves an address for a user, as AddressStore.reserve does. */
  addAddress(address: string, ownerId: number): Promise<void>;
  addressOwner(address: string): Promise<number | null>;
  /** Sets a session's times (a session from the past). */
  ageSession(token: string, times: { created: number; expires: number; lastSeen: number }): Promise<void>;
  /** The session's row, null when deleted. */
  sessionRow(token: string): Promise<{ userId: number; expires: number; lastSeen: number } | null>;
}

const HOUR = 3_600_000;
const PASSWORD = 'correct horse battery staple';
const between = (x: number | null, lo: number, hi: number) => x !== null && x >= lo && x <= hi;

export function accountRepositoriesContract(test: Test, engine: AccountEngine): void {
  const { users, keys, sessions, audit } = engine.repos;

  // ------------------------------------------------------------------ users

  test('users: created with and without a password, read by id and by name whatever its case', async () => {
    const before = Date.now();
    const plain = await users.createWithoutPassword({ username: 'Key.Only', email: 'k@example.org' });
    const after = Date.now();
    assert.ok(between(plain.created, before, after) && plain.updated === plain.created);
    assert.equal(
      { ...plain, created: 0, updated: 0 },
      { id: plain.id, username: 'Key.Only', email: 'k@example.org', role: 'user', hasPassword: false, created: 0, updated: 0, lastLogin: null },
    );
    const admin = await users.create({ username: 'boss', password: PASSWORD, role: 'admin' });
    assert.equal([admin.username, admin.email, admin.role, admin.hasPassword, admin.lastLogin], ['boss', '', 'admin', true, null]);
    assert.ok(admin.id > plain.id);
    const noPassword = await users.create({ username: 'nopw' });
    assert.is(noPassword.hasPassword, false);
    assert.is(await engine.passwordHash(noPassword.id), '');

    assert.equal(await users.byId(plain.id), plain);
    assert.equal(await users.byName('key.only'), plain, 'names are found whatever their case');
    assert.equal(await users.byName('KEY.ONLY'), plain);
    assert.equal(await users.byName('boss'), admin);
    assert.is(await users.byName('\u212Aey.only'), null, 'only ASCII letters fold (the Kelvin sign is not K)');
    assert.is(await users.byName('nobody'), null);
    assert.is(await users.byName(''), null);
    assert.is(await users.byId(999_999), null);
    assert.is(await users.byId(-1), null);
  });

  test('users: the password is stored as users.ts hashes it (scrypt, its parameters with it)', async () => {
    const u = await users.create({ username: 'hashed', password: PASSWORD });
    const stored = await engine.passwordHash(u.id);
    assert.match(stored, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    assert.ok(await verifyPassword(PASSWORD, stored));
    assert.not.ok(await verifyPassword(PASSWORD + '!', stored));
  });

  test('users: bad and taken names are refused with users.ts words, in any case', async () => {
    await users.createWithoutPassword({ username: 'taken' });
    for (const make of [() => users.create({ username: 'TAKEN', password: PASSWORD }), () => users.createWithoutPassword({ username: 'Taken' })]) {
      try {
        await make();
        assert.unreachable('a taken name was accepted');
      } catch (err) {
        assert.match((err as Error).message, /^user (TAKEN|Taken) already exists$/);
      }
    }
    for (const bad of ['', '-leading', 'with space', 'a'.repeat(65), 'émile']) {
      try {
        await users.createWithoutPassword({ username: bad });
        assert.unreachable(`${JSON.stringify(bad)} was accepted`);
      } catch (err) {
        assert.is((err as Error).message, 'username: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
      }
    }
    assert.ok(await users.createWithoutPassword({ username: 'a'.repeat(64) }));
  });

  test('users: two creations of one name at once: one user, the other refused as taken', async () => {
    const results = await Promise.allSettled([users.createWithoutPassword({ username: 'twice' }), users.createWithoutPassword({ username: 'Twice' })]);
    const made = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.is(made.length, 1);
    assert.is(refused.length, 1);
    assert.match((refused[0]!.reason as Error).message, /^user (twice|Twice) already exists$/);
    assert.is((await users.list()).filter((u) => u.username.toLowerCase() === 'twice').length, 1);
  });

  test('users: list in id order; the admin count; setRole and setPassword move updated', async () => {
    const all = await users.list();
    assert.equal(
      all.map((u) => u.id),
      [...all.map((u) => u.id)].sort((a, b) => a - b),
    );
    assert.equal(all.at(-1), await users.byId(all.at(-1)!.id));
    const admins = all.filter((u) => u.role === 'admin').length;
    assert.is(await users.adminCount(), admins);

    const u = await users.createWithoutPassword({ username: 'promoted' });
    await new Promise((r) => setTimeout(r, 3));
    const before = Date.now();
    await users.setRole(u.id, 'admin');
    const promoted = (await users.byId(u.id))!;
    assert.is(promoted.role, 'admin');
    assert.ok(between(promoted.updated, before, Date.now()) && promoted.updated > u.updated);
    assert.is(promoted.created, u.created);
    assert.is(await users.adminCount(), admins + 1);
    await users.setRole(u.id, 'user');
    assert.is(await users.adminCount(), admins);

    await users.setPassword(u.id, PASSWORD);
    const withPassword = (await users.byId(u.id))!;
    assert.is(withPassword.hasPassword, true);
    assert.ok(await verifyPassword(PASSWORD, await engine.passwordHash(u.id)));
  });

  test('users: checkPassword answers the user as read, records the login; wrong, missing and password-less users get null', async () => {
    const u = await users.create({ username: 'signer', password: PASSWORD });
    const before = Date.now();
    const ok = await users.checkPassword('SIGNER', PASSWORD);
    assert.equal(ok, u, 'the user as it was before this login');
    const after = (await users.byId(u.id))!;
    assert.ok(between(after.lastLogin, before, Date.now()));
    assert.is(after.updated, u.updated, 'a login is not an update');

    assert.is(await users.checkPassword('signer', PASSWORD + 'x'), null);
    assert.is(await users.checkPassword('nobody-here', PASSWORD), null);
    const keyOnly = await users.createWithoutPassword({ username: 'keyonly2' });
    assert.is(await users.checkPassword('keyonly2', ''), null);
    assert.is((await users.byId(keyOnly.id))!.lastLogin, null);
  });

  test('users: eraseAccount removes addresses, keys, sessions and the user, and says how many', async () => {
    const u = await users.createWithoutPassword({ username: 'leaving' });
    const other = await users.createWithoutPassword({ username: 'staying' });
    await engine.addAddress('leaving1@example.test', u.id);
    await engine.addAddress('leaving2@example.test', u.id);
    await engine.addAddress('staying@example.test', other.id);
    await keys.create(u.id, 'a');
    await keys.create(u.id, 'b');
    await keys.create(u.id, 'c');
    const otherKey = await keys.create(other.id, 'kept');
    const token = await sessions.create(u.id, HOUR);
    const otherToken = await sessions.create(other.id, HOUR);

    assert.equal(await users.eraseAccount(u.id), { addresses: 2, keys: 3, sessions: 1, saved: 0, user: true });
    assert.is(await users.byId(u.id), null);
    assert.is(await engine.addressOwner('leaving1@example.test'), null);
    assert.is(await engine.addressOwner('staying@example.test'), other.id);
    assert.equal(await keys.listForUser(u.id), []);
    assert.equal(await keys.byId(otherKey.record.id), otherKey.record);
    assert.is(await engine.sessionRow(token), null);
    assert.ok(await engine.sessionRow(otherToken));
    assert.equal(await users.eraseAccount(u.id), { addresses: 0, keys: 0, sessions: 0, saved: 0, user: false }, 'a second time: nothing left');
  });

  test('users: ids are never reused, not even the last one after it was erased', async () => {
    const a = await users.createWithoutPassword({ username: 'first-of-two' });
    const b = await users.createWithoutPassword({ username: 'last-of-two' });
    assert.is(b.id, a.id + 1);
    await users.eraseAccount(b.id);
    const c = await users.createWithoutPassword({ username: 'last-of-two' });
    assert.is(c.id, b.id + 1, 'the erased id is not handed out again');
  });

  test("users: eraseAccount inside a caller's transaction commits and rolls back with it", async () => {
    const u = await users.createWithoutPassword({ username: 'kept-by-rollback' });
    await keys.create(u.id, 'k');
    try {
      await engine.inTransaction(async (tx) => {
        assert.equal(await tx.users.eraseAccount(u.id), { addresses: 0, keys: 1, sessions: 0, saved: 0, user: true });
        assert.is(await tx.users.byId(u.id), null, 'gone within the transaction');
        throw new Error('changed my mind');
      });
      assert.unreachable('the transaction threw');
    } catch (err) {
      assert.is((err as Error).message, 'changed my mind');
    }
    assert.equal(await users.byId(u.id), u, 'rolled back');
    assert.is((await keys.listForUser(u.id)).length, 1);

    const erased = await engine.inTransaction(async (tx) => tx.users.eraseAccount(u.id));
    assert.equal(erased, { addresses: 0, keys: 1, sessions: 0, saved: 0, user: true });
    assert.is(await users.byId(u.id), null, 'committed');
  });

  // ------------------------------------------------------------------ keys

  test('keys: created once in clear, stored as a hash; found by hash while valid; listed in id order', async () => {
    const u = await users.createWithoutPassword({ username: 'keyholder' });
    const v = await users.createWithoutPassword({ username: 'keyholder2' });
    const before = Date.now();
    const a = await keys.create(u.id, 'ci runner');
    assert.match(a.key, /^mr_[A-Za-z0-9_-]{43}$/);
    assert.ok(between(a.record.created, before, Date.now()));
    assert.equal(a.record, { id: a.record.id, userId: u.id, name: 'ci runner', hint: a.key.slice(0, KEY_PREFIX.length + 4), created: a.record.created, lastUsed: null, revoked: null });
    const b = await keys.create(v.id);
    assert.is(b.record.name, '', 'no name given');
    const c = await keys.create(u.id, 'n'.repeat(150));
    assert.is(c.record.name, 'n'.repeat(100), 'names are cut at 100 characters');
    assert.ok(b.record.id > a.record.id && c.record.id > b.record.id);

    assert.equal(await keys.findByHash(hashKey(a.key)), a.record);
    assert.is(await keys.findByHash(a.key), null, 'the clear key is not what is stored');
    assert.is(await keys.findByHash(''), null);
    assert.equal(await keys.byId(b.record.id), b.record);
    assert.is(await keys.byId(999_999), null);
    assert.equal(await keys.listForUser(u.id), [a.record, c.record]);
    assert.equal(await keys.listForUser(999_999), []);
    const all = await keys.list();
    assert.equal(
      all.filter((k) => k.userId === u.id || k.userId === v.id),
      [a.record, b.record, c.record],
    );
    assert.equal(
      all.map((k) => k.id),
      [...all.map((k) => k.id)].sort((x, y) => x - y),
    );
  });

  test('keys: revoke once (true), then false; a revoked key is not found by hash but still by id', async () => {
    const u = await users.createWithoutPassword({ username: 'revoker' });
    const { key, record } = await keys.create(u.id, 'old');
    const before = Date.now();
    assert.is(await keys.revoke(record.id), true);
    const revoked = (await keys.byId(record.id))!;
    assert.ok(between(revoked.revoked, before, Date.now()));
    assert.equal({ ...revoked, revoked: null }, record);
    assert.is(await keys.revoke(record.id), false, 'already revoked');
    assert.is((await keys.byId(record.id))!.revoked, revoked.revoked, 'the first revocation time stays');
    assert.is(await keys.revoke(999_999), false);
    assert.is(await keys.findByHash(hashKey(key)), null);
  });

  test("keys: a key's use is recorded, at most once a minute", async () => {
    const u = await users.createWithoutPassword({ username: 'toucher' });
    const { record } = await keys.create(u.id);
    const before = Date.now();
    await keys.touch(record);
    const first = (await keys.byId(record.id))!.lastUsed;
    assert.ok(between(first, before, Date.now()));
    await keys.touch((await keys.byId(record.id))!);
    assert.is((await keys.byId(record.id))!.lastUsed, first, 'within the minute: no write');
    await new Promise((r) => setTimeout(r, 3));
    const later = Date.now();
    await keys.touch({ ...record, lastUsed: later - 61_000 });
    assert.ok((await keys.byId(record.id))!.lastUsed! >= later, 'over a minute later: recorded again');
  });

  // ------------------------------------------------------------------ sessions

  test('sessions: a cookie value, found while live; malformed and unknown values are not; remove and removeForUser', async () => {
    const u = await users.createWithoutPassword({ username: 'sessioned' });
    const before = Date.now();
    const token = await sessions.create(u.id, HOUR);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const s = (await sessions.get(token, HOUR))!;
    assert.ok(between(s.created, before, Date.now()));
    assert.equal(s, { userId: u.id, created: s.created, expires: s.created + HOUR });
    assert.equal(await engine.sessionRow(token), { userId: u.id, expires: s.created + HOUR, lastSeen: s.created });
    assert.is(await sessions.get('short', HOUR), null);
    assert.is(await sessions.get('a'.repeat(43), HOUR), null, 'well-formed but unknown');
    assert.is(await sessions.get(token + '!', HOUR), null);

    await sessions.remove(token);
    assert.is(await sessions.get(token, HOUR), null);
    await sessions.remove('never-was-a-token');

    const t1 = await sessions.create(u.id, HOUR);
    const t2 = await sessions.create(u.id, HOUR);
    const other = await users.createWithoutPassword({ username: 'sessioned2' });
    const t3 = await sessions.create(other.id, HOUR);
    await sessions.removeForUser(u.id);
    assert.equal([await engine.sessionRow(t1), await engine.sessionRow(t2)], [null, null]);
    assert.ok(await sessions.get(t3, HOUR), "another user's session stays");
  });

  test('sessions: expired or past the maximum age is refused and deleted; sliding expiry renewed at most once a minute, capped', async () => {
    const u = await users.createWithoutPassword({ username: 'expiring' });
    const now = Date.now();
    const expired = await sessions.create(u.id, HOUR);
    await engine.ageSession(expired, { created: now - 2 * HOUR, expires: now - 1, lastSeen: now - HOUR });
    assert.is(await sessions.get(expired, HOUR), null);
    assert.is(await engine.sessionRow(expired), null);

    const old = await sessions.create(u.id, HOUR);
    await engine.ageSession(old, { created: now - 10 * HOUR, expires: now + HOUR, lastSeen: now - 1000 });
    assert.equal(await sessions.get(old, HOUR), { userId: u.id, created: now - 10 * HOUR, expires: now + HOUR });
    assert.is(await sessions.get(old, HOUR, 10 * HOUR), null, 'past the maximum age');
    assert.is(await engine.sessionRow(old), null);

    const sliding = await sessions.create(u.id, HOUR);
    await engine.ageSession(sliding, { created: now - 5 * HOUR, expires: now + 1000, lastSeen: now - 2 * 60_000 });
    assert.equal(await sessions.get(sliding, HOUR), { userId: u.id, created: now - 5 * HOUR, expires: now + 1000 }, 'the row as read');
    const renewed = (await engine.sessionRow(sliding))!;
    assert.ok(renewed.expires >= now + HOUR && renewed.expires <= Date.now() + HOUR);
    await engine.ageSession(sliding, { created: now - 5 * HOUR, expires: now + 1000, lastSeen: now - 2 * 60_000 });
    await sessions.get(sliding, HOUR, 5 * HOUR + 30_000);
    assert.is((await engine.sessionRow(sliding))!.expires, now + 30_000, 'capped at created + maximum age');
    await engine.ageSession(sliding, { created: now - HOUR, expires: now + 1000, lastSeen: now - 10_000 });
    await sessions.get(sliding, HOUR);
    assert.equal(await engine.sessionRow(sliding), { userId: u.id, expires: now + 1000, lastSeen: now - 10_000 }, 'seen within the minute: no write');
  });

  test('sessions: prune deletes the expired ones (at or before now) and says how many', async () => {
    const u = await users.createWithoutPassword({ username: 'pruned' });
    const now = Date.now();
    await sessions.prune(now + 500); // what earlier tests left that would expire by then
    const gone1 = await sessions.create(u.id, HOUR);
    const gone2 = await sessions.create(u.id, HOUR);
    const live = await sessions.create(u.id, HOUR);
    await engine.ageSession(gone1, { created: now - HOUR, expires: now - 5, lastSeen: now - HOUR });
    await engine.ageSession(gone2, { created: now - HOUR, expires: now + 500, lastSeen: now - HOUR });
    await engine.ageSession(live, { created: now - HOUR, expires: now + 501, lastSeen: now - HOUR });
    assert.is(await sessions.prune(now + 500), 2);
    assert.is(await engine.sessionRow(gone2), null);
    assert.ok(await engine.sessionRow(live));
    assert.is(await sessions.prune(now + 500), 0);
  });

  // ------------------------------------------------------------------ audit

  test('audit: recorded entries read back newest first, paged by id, limited to 1..1000', async () => {
    const before = Date.now();
    await audit.record({ actor: 'cli', action: 'key-create', target: 'someone', detail: { keyId: 7, name: 'ci' } });
    await audit.record({ actorId: 3, actor: 'alice', action: 'read-inbox', target: 'x@example.test', detail: { via: 'key' }, ip: '192.0.2.1', at: 1_700_000_000_000 });
    await audit.record({ actor: 'system', action: 'billing-release' });
    const [c, b, a, ...rest] = await audit.list();
    assert.ok(between(a!.at, before, Date.now()));
    assert.equal(a, { id: a!.id, at: a!.at, actorId: null, actor: 'cli', action: 'key-create', target: 'someone', detail: { keyId: 7, name: 'ci' }, ip: '' });
    assert.equal(b, { id: a!.id + 1, at: 1_700_000_000_000, actorId: 3, actor: 'alice', action: 'read-inbox', target: 'x@example.test', detail: { via: 'key' }, ip: '192.0.2.1' });
    assert.equal(c, { id: a!.id + 2, at: c!.at, actorId: null, actor: 'system', action: 'billing-release', target: '', detail: {}, ip: '' });
    assert.equal(rest.map((e) => e.id), rest.map((e) => e.id).sort((x, y) => y - x));

    assert.equal(await audit.list({ limit: 2 }), [c, b]);
    assert.equal(await audit.list({ limit: 1, before: c!.id }), [b]);
    assert.equal(await audit.list({ limit: 2, before: b!.id + 0.5 }), [b, a], 'below a fraction: below the next id');
    assert.equal(await audit.list({ limit: 0 }), [c], 'at least one');
    assert.equal(await audit.list({ limit: -5 }), [c]);
    assert.equal(await audit.list({ before: 1 }), []);
  });

  test('audit: about some targets and by an actor, oldest first', async () => {
    await audit.record({ actorId: 41, actor: 'bob', action: 'export', target: 'bob@example.test', detail: { messages: 2 } });
    await audit.record({ actorId: 42, actor: 'carol', action: 'read-message', target: 'msg-1', detail: { inbox: 'bob@example.test' } });
    await audit.record({ actorId: 41, actor: 'bob', action: 'login', target: 'bob' });
    await audit.record({ actorId: 41, actor: 'bob', action: 'delete-data', target: 'msg-1' });
    const about = await audit.about(['msg-1', 'bob@example.test', 'nothing-here']);
    assert.equal(
      about.map((e) => [e.actor, e.action, e.target, e.detail]),
      [
        ['bob', 'export', 'bob@example.test', { messages: 2 }],
        ['carol', 'read-message', 'msg-1', { inbox: 'bob@example.test' }],
        ['bob', 'delete-data', 'msg-1', {}],
      ],
    );
    assert.ok(about[0]!.id < about[1]!.id && about[1]!.id < about[2]!.id);
    assert.equal(await audit.about([]), []);
    const many = Array.from({ length: 1200 }, (_, i) => `t${i}`);
    await audit.record({ actor: 'cli', action: 'export', target: 't1100' });
    await audit.record({ actor: 'cli', action: 'export', target: 't3' });
    assert.equal(
      (await audit.about(many)).map((e) => e.target),
      ['t1100', 't3'],
      'more targets than one SQLite statement takes, still in id order',
    );
    const bob = await audit.byActor(41);
    assert.equal(bob.map((e) => [e.action, e.target]), [['export', 'bob@example.test'], ['login', 'bob'], ['delete-data', 'msg-1']]);
    assert.equal(await audit.byActor(999), []);
  });
}
