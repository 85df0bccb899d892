// The PrincipalReader contract (issue 14): API key, session and user reads
// that the principal middleware makes per request, answered alike by both
// engines (principal-reader-sqlite.test.ts, pg/principal-reader.test.ts).
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashKey } from '../../src/store/api-keys.js';
import type { PrincipalReader } from '../../src/store/principal-reader.js';

export interface PrincipalEngine {
  principals: PrincipalReader;
  createUser(username: string, opts?: { role?: 'admin' | 'user'; email?: string; password?: boolean }): Promise<number>;
  /** A key made as ApiKeyStore.create makes it; the clear key and its id. */
  createKey(userId: number, name: string): Promise<{ key: string; id: number }>;
  revokeKey(id: number): Promise<void>;
  keyLastUsed(id: number): Promise<number | null>;
  /** A session made as SessionStore.create makes it; the cookie value. */
  createSession(userId: number, ttlMs: number): Promise<string>;
  /** Sets a session's times (a session from the past). */
  ageSession(token: string, times: { created: number; expires: number; lastSeen: number }): Promise<void>;
  /** The session's row, null when deleted. */
  sessionRow(token: string): Promise<{ expires: number; lastSeen: number } | null>;
}

const HOUR = 3_600_000;

export function principalReaderContract(test: Test, engine: PrincipalEngine): void {
  const p = engine.principals;

  test('an API key is found by its hash while valid; unknown and revoked keys are not', async () => {
    const user = await engine.createUser('keyholder');
    const { key, id } = await engine.createKey(user, 'ci runner');
    const found = (await p.keyByHash(hashKey(key)))!;
    assert.equal(
      { ...found, created: typeof found.created },
      { id, userId: user, name: 'ci runner', hint: key.slice(0, 7), created: 'number', lastUsed: null, revoked: null },
    );
    assert.is(await p.keyByHash(hashKey(key + 'x')), null);
    assert.is(await p.keyByHash(''), null);
    await engine.revokeKey(id);
    assert.is(await p.keyByHash(hashKey(key)), null, 'a revoked key is no key');
  });

  test("a key's use is recorded, at most once a minute", async () => {
    const user = await engine.createUser('toucher');
    const { key, id } = await engine.createKey(user, '');
    const before = Date.now();
    await p.touchKey((await p.keyByHash(hashKey(key)))!);
    const first = await engine.keyLastUsed(id);
    assert.ok(first !== null && first >= before && first <= Date.now());
    const recent = (await p.keyByHash(hashKey(key)))!;
    assert.is(recent.lastUsed, first);
    await p.touchKey(recent);
    assert.is(await engine.keyLastUsed(id), first, 'used again within the minute: no write');
    await new Promise((r) => setTimeout(r, 5));
    const later = Date.now();
    await p.touchKey({ ...recent, lastUsed: later - 61_000 });
    assert.ok((await engine.keyLastUsed(id))! >= later, 'over a minute later: recorded again');
  });

  test('a session is found by its cookie value while live; malformed and unknown values are not', async () => {
    const user = await engine.createUser('sessioned');
    const before = Date.now();
    const token = await engine.createSession(user, HOUR);
    const s = (await p.session(token, HOUR))!;
    assert.is(s.userId, user);
    assert.ok(s.created >= before && s.expires === s.created + HOUR);
    assert.is(await p.session('short', HOUR), null);
    assert.is(await p.session('a'.repeat(43), HOUR), null, 'well-formed but unknown');
    assert.is(await p.session(token + '!', HOUR), null, 'not a token character');
    assert.is(await p.session('', HOUR), null);
  });

  test('an expired session, or one past its maximum age, is refused and deleted', async () => {
    const user = await engine.createUser('expiring');
    const now = Date.now();
    const expired = await engine.createSession(user, HOUR);
    await engine.ageSession(expired, { created: now - 2 * HOUR, expires: now - 1, lastSeen: now - HOUR });
    assert.is(await p.session(expired, HOUR), null);
    assert.is(await engine.sessionRow(expired), null);

    const old = await engine.createSession(user, HOUR);
    await engine.ageSession(old, { created: now - 10 * HOUR, expires: now + HOUR, lastSeen: now - 1000 });
    assert.ok(await p.session(old, HOUR), 'no maximum age: still live');
    assert.is(await p.session(old, HOUR, 10 * HOUR), null, 'past the maximum age');
    assert.is(await engine.sessionRow(old), null);
  });

  test('sliding expiry: renewed when last seen over a minute ago, never past the maximum age; not rewritten within the minute', async () => {
    const user = await engine.createUser('sliding');
    const now = Date.now();
    const token = await engine.createSession(user, HOUR);
    await engine.ageSession(token, { created: now - 5 * HOUR, expires: now + 1000, lastSeen: now - 2 * 60_000 });
    const s = (await p.session(token, HOUR))!;
    assert.is(s.expires, now + 1000, 'the answer is the row as read');
    const renewed = (await engine.sessionRow(token))!;
    assert.ok(renewed.expires >= now + HOUR && renewed.expires <= Date.now() + HOUR, 'renewed for ttl from now');
    assert.ok(renewed.lastSeen >= now);

    await engine.ageSession(token, { created: now - 5 * HOUR, expires: now + 1000, lastSeen: now - 2 * 60_000 });
    await p.session(token, HOUR, 5 * HOUR + 30_000);
    assert.is((await engine.sessionRow(token))!.expires, now - 5 * HOUR + 5 * HOUR + 30_000, 'capped at created + maximum age');

    const seen = now - 10_000;
    await engine.ageSession(token, { created: now - HOUR, expires: now + 1000, lastSeen: seen });
    await p.session(token, HOUR);
    assert.equal(await engine.sessionRow(token), { expires: now + 1000, lastSeen: seen }, 'seen within the minute: no write');
  });

  test('a user by id: name, email, role, whether a password is set, times', async () => {
    const plain = await engine.createUser('plainuser', { email: 'plain@example.org' });
    const admin = await engine.createUser('Admin.User', { role: 'admin', password: true });
    const u = (await p.userById(plain))!;
    assert.equal(
      { ...u, created: typeof u.created, updated: typeof u.updated },
      { id: plain, username: 'plainuser', email: 'plain@example.org', role: 'user', hasPassword: false, created: 'number', updated: 'number', lastLogin: null },
    );
    const a = (await p.userById(admin))!;
    assert.equal([a.username, a.role, a.hasPassword], ['Admin.User', 'admin', true]);
    assert.is(await p.userById(-1), null);
    assert.is(await p.userById(999_999), null);
  });
}
