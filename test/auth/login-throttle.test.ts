// Login throttling that slows guessers without locking out the right
// password (issue 13, item 2), and the client address behind a trusted
// reverse proxy (http.trustedProxies) that the throttles and the audit log
// use. Real HTTP against a real Mailroom; the throttle's clock is injected so
// backoff can be waited out without sleeping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Visitor as Browser } from '../security/web-client.js';
import { ADMIN_KEY, startApiMailroom, type TestMailroom } from '../api/_helpers.js';
import path from 'node:path';
import { limiterFor, loginThrottleFor } from '../../src/http/middleware/rate-limit.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

const running: TestMailroom[] = [];
test.after.each(async () => {
  while (running.length) await running.pop()!.cleanup();
});

async function mailroom(trustedProxies: string[] = []): Promise<TestMailroom> {
  const m = await startApiMailroom({ auth: { adminKey: ADMIN_KEY }, http: { trustedProxies } } as never);
  running.push(m);
  await m.store.users.create({ username: 'alice', password: 'alice-password-1' });
  await m.store.users.setPassword(m.store.users.byName('admin')!.id, 'admin-password-1');
  return m;
}

/** One POST /login from a browser, optionally as seen through a proxy. A session it had has ended (the device cookie stays). */
async function login(b: Browser, username: string, password: string, forwardedFor?: string) {
  b.jar.delete('mr_session');
  const headers: Record<string, string> = forwardedFor ? { 'x-forwarded-for': forwardedFor } : {};
  const t = await b.token();
  return b.req('POST', '/login', { csrf: t, username, password }, headers);
}

function retryAfter(r: { headers: Headers }): number {
  const v = r.headers.get('retry-after');
  assert.ok(v !== null && /^\d+$/.test(v), `a 429 carries Retry-After in seconds, got ${v}`);
  return Number(v);
}

test('a correct password after 30 failures from the same address signs in from a device that signed in before', async () => {
  const m = await mailroom();
  const device = new Browser(m.http);
  assert.is((await login(device, 'alice', 'alice-password-1')).status, 303, 'first sign-in');
  const cookie = [...device.jar.keys()].find((k) => /mr_device$/.test(k));
  assert.ok(cookie, 'the sign-in set a known-device cookie');
  await device.req('POST', '/logout', { csrf: await device.token('/account') });

  // A sprayer on the same address (one NAT, or Caddy without trustedProxies).
  const sprayer = new Browser(m.http);
  for (let i = 0; i < 30; i++) assert.is((await login(sprayer, `nobody${i}`, 'x')).status, 401);
  for (let i = 0; i < 5; i++) await login(sprayer, 'alice', `guess-${i}`);
  const capped = await login(sprayer, 'alice', 'alice-password-1');
  assert.is(capped.status, 429, 'the sprayer is still capped, even with the right password');
  retryAfter(capped);

  assert.is((await login(device, 'alice', 'alice-password-1')).status, 303, 'the known device is let through');
});

test('the known-device cookie is HttpOnly and SameSite=Lax, and only vouches for the account that signed in', async () => {
  const m = await mailroom();
  const b = new Browser(m.http);
  const t = await b.token();
  const res = await fetch(m.http + '/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: b.cookieHeader, origin: m.http, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: t, username: 'alice', password: 'alice-password-1' }).toString(),
  });
  assert.is(res.status, 303);
  const sc = res.headers.getSetCookie().find((s) => s.startsWith('mr_device='));
  assert.ok(sc, 'known-device cookie set');
  assert.match(sc!, /HttpOnly/);
  assert.match(sc!, /SameSite=Lax/);
  assert.not.match(sc!, /alice/, 'it names no user');
  const throttle = loginThrottleFor(m.store);
  let now = Date.now();
  throttle.now = () => now;
  // alice's device is no key to admin: after 12 failures against admin from
  // many addresses, it waits like any new device.
  const device = new Browser(m.http);
  device.jar.set('mr_device', sc!.split(';')[0]!.slice('mr_device='.length));
  for (let i = 0; i < 12; i++) await login(new Browser(m.http), 'admin', `guess-${i}`);
  assert.is((await login(device, 'admin', 'admin-password-1')).status, 429);
  // A forged or altered cookie is ignored too.
  const forged = new Browser(m.http);
  forged.jar.set('mr_device', device.jar.get('mr_device')!.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A')));
  assert.is((await login(forged, 'alice', 'wrong')).status, 401);
});

test("an attacker's failures against admin do not stop admin's known device; a new device waits a bounded, short time", async () => {
  // Behind a proxy, so the attacker can come from many addresses.
  const m = await mailroom(['127.0.0.1', '::1']);
  const throttle = loginThrottleFor(m.store);
  let now = Date.now();
  throttle.now = () => now;
  const laptop = new Browser(m.http);
  assert.is((await login(laptop, 'admin', 'admin-password-1', '198.51.100.7')).status, 303);

  // 15 guesses from 15 addresses, then more from one: never a hard lockout.
  for (let i = 0; i < 15; i++) {
    const r = await login(new Browser(m.http), 'admin', `guess-${i}`, `203.0.113.${i + 1}`);
    assert.ok(r.status === 401 || r.status === 429, `guess ${i}: ${r.status}`);
  }
  assert.is((await login(laptop, 'admin', 'admin-password-1', '198.51.100.7')).status, 303, 'known device: straight in');
  assert.is((await login(laptop, 'admin', 'admin-password-1', '192.0.2.99')).status, 303, 'known device on another network: straight in');

  const phone = new Browser(m.http);
  const first = await login(phone, 'admin', 'admin-password-1', '198.51.100.8');
  if (first.status === 429) {
    const wait = retryAfter(first);
    assert.ok(wait >= 1 && wait <= 60, `a new device waits at most a minute, not 15: ${wait}s`);
    assert.match(first.text, /Too many/);
    now += wait * 1000;
    assert.is((await login(phone, 'admin', 'admin-password-1', '198.51.100.8')).status, 303, 'after Retry-After the right password works');
  } else {
    assert.is(first.status, 303);
  }

  // However long the attack goes on, the wait stays bounded.
  for (let round = 0; round < 20; round++) {
    now += 120_000;
    await login(new Browser(m.http), 'admin', `more-${round}`, `203.0.113.${100 + round}`);
  }
  const tablet = new Browser(m.http);
  const r = await login(tablet, 'admin', 'admin-password-1', '198.51.100.9');
  if (r.status === 429) {
    const wait = retryAfter(r);
    assert.ok(wait <= 60, `bounded: ${wait}s`);
    now += wait * 1000;
    assert.is((await login(tablet, 'admin', 'admin-password-1', '198.51.100.9')).status, 303);
  } else assert.is(r.status, 303);
});

test('guesses from one client against one account slow down with growing delays', async () => {
  const m = await mailroom();
  const throttle = loginThrottleFor(m.store);
  let now = Date.now();
  throttle.now = () => now;
  const b = new Browser(m.http);
  const waits: number[] = [];
  for (let i = 0; i < 9; i++) {
    let r = await login(b, 'alice', `wrong-${i}`);
    if (r.status === 429) {
      const w = retryAfter(r);
      waits.push(w);
      now += w * 1000;
      r = await login(b, 'alice', `wrong-${i}`);
    }
    assert.is(r.status, 401);
  }
  assert.ok(waits.length >= 3, `delays began: ${waits}`);
  for (let i = 1; i < waits.length; i++) assert.ok(waits[i]! >= waits[i - 1]!, `growing: ${waits}`);
  assert.ok(waits[waits.length - 1]! > waits[0]!, `growing: ${waits}`);
});

test('http.trustedProxies: behind a trusted proxy, clients are told apart by X-Forwarded-For and the audit log records the forwarded address', async () => {
  const m = await mailroom(['127.0.0.1/32', '::1']);
  const attacker = new Browser(m.http);
  for (let i = 0; i < 30; i++) assert.is((await login(attacker, `nobody${i}`, 'x', '203.0.113.66')).status, 401);
  assert.is((await login(attacker, 'nobody-else', 'x', '203.0.113.66')).status, 429, 'the sprayer is capped');
  // Another browser behind the same proxy is another client.
  const other = new Browser(m.http);
  assert.is((await login(other, 'nobody-else', 'x', '198.51.100.20')).status, 401, 'not throttled for the sprayer');
  // A spoofed left part is ignored: the proxy appends the real peer, and the rightmost untrusted hop counts.
  assert.is((await login(attacker, 'nobody-else', 'x', '198.51.100.21, 203.0.113.66')).status, 429, 'a forged left hop does not escape the cap');
  assert.is((await login(other, 'alice', 'alice-password-1', '10.9.9.9, 198.51.100.20, 127.0.0.1')).status, 303, 'trusted hops are skipped');
  const entry = m.store.audit.list({ limit: 10 }).find((e) => e.action === 'login');
  assert.ok(entry, 'login recorded');
  assert.is(entry!.ip, '198.51.100.20', 'the audit log has the client, not the proxy');

  // Wrong API keys are counted per forwarded client too.
  limiterFor(m.store).max = 3;
  for (let i = 0; i < 4; i++) await fetch(`${m.http}/api/me`, { headers: { 'mailsac-key': 'mr_bad' + i, 'x-forwarded-for': '203.0.113.77' } });
  assert.is((await fetch(`${m.http}/api/me`, { headers: { 'mailsac-key': 'mr_bad', 'x-forwarded-for': '203.0.113.77' } })).status, 429);
  assert.is((await fetch(`${m.http}/api/me`, { headers: { 'mailsac-key': 'mr_bad', 'x-forwarded-for': '198.51.100.30' } })).status, 401);
});

test("an untrusted peer's X-Forwarded-For is ignored by the throttles and the audit log", async () => {
  // A proxy list that does not include the test client's address.
  const m = await mailroom(['10.0.0.0/8']);
  const b = new Browser(m.http);
  for (let i = 0; i < 30; i++) assert.is((await login(b, `nobody${i}`, 'x', `203.0.113.${i + 1}`)).status, 401);
  assert.is((await login(b, 'nobody-else', 'x', '198.51.100.1')).status, 429, 'a new X-Forwarded-For does not make a new client');
  // The address is capped now; a fresh instance shows what the audit log records.
  const m2 = await mailroom(['10.0.0.0/8']);
  assert.is((await login(new Browser(m2.http), 'alice', 'alice-password-1', '198.51.100.50')).status, 303);
  const entry = m2.store.audit.list({ limit: 10 }).find((e) => e.action === 'login');
  assert.is(entry!.ip, '127.0.0.1', 'the TCP peer is recorded');
});

test('http.trustedProxies: MAILROOM_HTTP_TRUSTED_PROXIES is a comma list of addresses and CIDR ranges; anything else stops the start', () => {
  const c = loadConfig({ env: { MAILROOM_HTTP_TRUSTED_PROXIES: '172.16.0.0/12, 10.0.0.1,::1, fd00::/8' }, cwd: ROOT });
  assert.equal(c.http.trustedProxies, ['172.16.0.0/12', '10.0.0.1', '::1', 'fd00::/8']);
  assert.equal(loadConfig({ env: {}, cwd: ROOT }).http.trustedProxies, [], 'default: nobody is trusted');
  for (const bad of ['caddy', '10.0.0.0/33', '1']) {
    assert.throws(() => loadConfig({ env: { MAILROOM_HTTP_TRUSTED_PROXIES: bad }, cwd: ROOT }), (e: unknown) => e instanceof ConfigError && /trustedProxies/.test(String((e as Error).message)), bad);
  }
});

test.run();
