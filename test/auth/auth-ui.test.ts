// The account pages: password login with one session cookie, CSRF on every
// POST, keys shown once, private addresses, search, and owned mail's star,
// labels and folder. Then the UI half of the authorization matrix: no page
// of a private inbox shows anything to a reader who is not its owner or an admin.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Visitor as Browser } from '../security/web-client.js';
import { ADMIN_KEY, api, rawMessage, startApiMailroom, storeRaw, type TestMailroom } from '../api/_helpers.js';

let m: TestMailroom;

test.before(async () => {
  m = await startApiMailroom({ auth: { adminKey: ADMIN_KEY, registration: true } } as never);
  await m.store.users.create({ username: 'alice', password: 'alice-password-1' });
  await m.store.users.create({ username: 'mallory', password: 'mallory-password-1' });
});

test.after(async () => {
  await m?.cleanup();
});

test('login: wrong password refused, right one sets one HttpOnly SameSite cookie', async () => {
  const b = new Browser(m.http);
  const t = await b.token();
  assert.is((await b.req('POST', '/login', { csrf: t, username: 'alice', password: 'wrong' })).status, 401);
  assert.is((await b.req('POST', '/login', { csrf: t, username: 'nobody', password: 'wrong' })).status, 401);
  const ok = await fetch(m.http + '/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: b.cookieHeader, origin: m.http, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: t, username: 'alice', password: 'alice-password-1' }).toString(),
  });
  assert.is(ok.status, 303);
  assert.is(ok.headers.get('location'), '/account');
  const session = ok.headers.getSetCookie().find((s) => s.startsWith('mr_session='))!;
  assert.match(session, /HttpOnly/);
  assert.match(session, /SameSite=Lax/);
});

test('POSTs without the token, or from another origin, are refused', async () => {
  const b = new Browser(m.http);
  const t = await b.token();
  assert.is((await b.req('POST', '/login', { username: 'alice', password: 'alice-password-1' })).status, 403);
  assert.is((await b.req('POST', '/login', { csrf: t, username: 'alice', password: 'alice-password-1' }, { origin: 'https://evil.example' })).status, 403);
  assert.is((await b.req('POST', '/login', { csrf: t + 'x', username: 'alice', password: 'alice-password-1' })).status, 403);
  assert.not.ok(b.jar.has('mr_session'));
});

async function signIn(name: string, password: string): Promise<Browser> {
  const b = new Browser(m.http);
  const t = await b.token();
  const r = await b.req('POST', '/login', { csrf: t, username: name, password });
  assert.is(r.status, 303);
  return b;
}

let aliceKey = '';

test('account page: keys are shown once and work with the API; revoking stops them', async () => {
  const b = await signIn('alice', 'alice-password-1');
  const page = await b.req('GET', '/account');
  assert.is(page.status, 200);
  assert.ok(page.text.includes('alice'));
  assert.ok(page.text.includes('/api/docs'), 'links the API reference');
  const t = await b.token('/account');
  const created = await b.req('POST', '/account/keys', { csrf: t, name: 'laptop' });
  assert.is(created.status, 200);
  const key = /(mr_[A-Za-z0-9_-]{43})/.exec(created.text)?.[1];
  assert.ok(key, 'the new key is on the page');
  aliceKey = key!;
  assert.is((await api(m, 'GET', '/api/me', { key })).json._id, 'alice');
  const again = await b.req('GET', '/account');
  assert.not.ok(again.text.includes(key!), 'shown only once');
  assert.ok(again.text.includes('laptop'));

  const second = /(mr_[A-Za-z0-9_-]{43})/.exec((await b.req('POST', '/account/keys', { csrf: t, name: 'temp' })).text)![1]!;
  const id = m.store.keys.listForUser(m.store.users.byName('alice')!.id).find((k) => k.name === 'temp')!.id;
  // Another user cannot revoke it.
  const mal = await signIn('mallory', 'mallory-password-1');
  assert.is((await mal.req('POST', `/account/keys/${id}/revoke`, { csrf: await mal.token('/account') })).status, 400);
  assert.is((await api(m, 'GET', '/api/me', { key: second })).status, 200);
  assert.is((await b.req('POST', `/account/keys/${id}/revoke`, { csrf: t })).status, 303);
  assert.is((await api(m, 'GET', '/api/me', { key: second })).status, 401);
});

test('addresses: reserve, edit forwarding, release from the account page', async () => {
  const b = await signIn('alice', 'alice-password-1');
  const t = await b.token('/account');
  const r = await b.req('POST', '/account/addresses', { csrf: t, address: 'Alice.Private+x@mailroom.test' });
  assert.is(r.status, 200);
  assert.ok(r.text.includes('alice.private@mailroom.test is now private to you'));
  assert.is((await b.req('POST', '/account/addresses', { csrf: t, address: 'postmaster@mailroom.test' })).status, 400);
  const mal = await signIn('mallory', 'mallory-password-1');
  const mt = await mal.token('/account');
  assert.is((await mal.req('POST', '/account/addresses', { csrf: mt, address: 'alice.private@mailroom.test' })).status, 400);
  assert.is((await mal.req('POST', `/account/addresses/${encodeURIComponent('alice.private@mailroom.test')}`, { csrf: mt, forward: 'x@example.org' })).status, 403);
  const saved = await b.req('POST', `/account/addresses/${encodeURIComponent('alice.private@mailroom.test')}`, { csrf: t, forward: 'me@example.test', info: 'notes', webhook: '', webhookSlack: '', enablews: 'true' });
  assert.is(saved.status, 200);
  const a = m.store.addresses.get('alice.private@mailroom.test')!;
  assert.is(a.forward, 'me@example.test');
  assert.is(a.enablews, true);
  assert.is(a.info, 'notes');
  // Released and reserved again to leave it owned for the next test.
  assert.is((await b.req('POST', `/account/addresses/${encodeURIComponent('alice.private@mailroom.test')}/release`, { csrf: t })).status, 200);
  assert.is(m.store.addresses.get('alice.private@mailroom.test'), null);
  await b.req('POST', '/account/addresses', { csrf: t, address: 'alice.private@mailroom.test' });
});

const PRIVATE = 'alice.private@mailroom.test';
const SECRET = 'Quokkasecret';
let privateId = '';

test('search shows what the reader may see, and nothing else', async () => {
  privateId = (await storeRaw(m.store, rawMessage({ to: PRIVATE, subject: `${SECRET} plans`, text: `the ${SECRET} body` }), PRIVATE)).id;
  await storeRaw(m.store, rawMessage({ to: 'open@mailroom.test', subject: 'public plans', text: 'nothing secret' }), 'open@mailroom.test');
  const b = await signIn('alice', 'alice-password-1');
  const mine = await b.req('GET', `/search?q=${SECRET}`);
  assert.ok(mine.text.includes(`${SECRET} plans`));
  const mal = await signIn('mallory', 'mallory-password-1');
  const theirs = await mal.req('GET', `/search?q=${SECRET}`);
  assert.not.ok(theirs.text.includes(`${SECRET} plans`));
  const anon = new Browser(m.http);
  const direct = await anon.req('GET', `/search?q=${SECRET}&inbox=${encodeURIComponent(PRIVATE)}`);
  assert.is(direct.status, 403);
  assert.not.ok(direct.text.includes(`${SECRET} plans`));
  const pub = await anon.req('GET', `/search?q=plans&inbox=open%40mailroom.test`);
  assert.ok(pub.text.includes('public plans'));
  for (const q of ['"', '#', '*', 'NEAR(', '""']) assert.is((await anon.req('GET', `/search?q=${encodeURIComponent(q)}&inbox=open%40mailroom.test`)).status, 200, q);
});

test('your mail: star, folder and labels for owned mail only', async () => {
  const b = await signIn('alice', 'alice-password-1');
  const t = await b.token('/account/mail');
  const base = `/account/mail/${encodeURIComponent(PRIVATE)}/${privateId}`;
  assert.is((await b.req('POST', `${base}/star`, { csrf: t })).status, 303);
  assert.is((await b.req('POST', `${base}/folder`, { csrf: t, folder: 'trash' })).status, 303);
  assert.is((await b.req('POST', `${base}/labels`, { csrf: t, label: 'tax' })).status, 303);
  let msg = m.store.messages.get(privateId)!;
  assert.is(msg.starred, true);
  assert.is(msg.folder, 'trash');
  assert.equal(msg.labels, ['tax']);
  const page = await b.req('GET', '/account/mail?starred=1');
  assert.ok(page.text.includes(`${SECRET} plans`));
  assert.is((await b.req('POST', `${base}/labels/remove`, { csrf: t, label: 'tax' })).status, 303);
  msg = m.store.messages.get(privateId)!;
  assert.equal(msg.labels, []);
  const mal = await signIn('mallory', 'mallory-password-1');
  const mt = await mal.token('/account');
  assert.is((await mal.req('POST', `${base}/star`, { csrf: mt })).status, 404);
  assert.not.ok((await mal.req('GET', '/account/mail')).text.includes(SECRET));
  // GET never changes anything.
  assert.not.ok([200, 303].includes((await b.req('GET', `${base}/star`)).status) && m.store.messages.get(privateId)!.starred === false);
});

test('registration creates a user when the operator allows it; names like admin are refused', async () => {
  const b = new Browser(m.http);
  const t = await b.token('/register');
  assert.is((await b.req('POST', '/register', { csrf: t, username: 'admin', password: 'long-enough-password' })).status, 400);
  assert.is((await b.req('POST', '/register', { csrf: t, username: 'newbie', password: 'short' })).status, 400);
  assert.is((await b.req('POST', '/register', { csrf: t, username: 'newbie', password: 'long-enough-password' })).status, 303);
  assert.is(m.store.users.byName('newbie')!.role, 'user');
  assert.is((await b.req('GET', '/account')).status, 200);
});

test('logout ends the session', async () => {
  const b = await signIn('alice', 'alice-password-1');
  const t = await b.token('/account');
  const cookie = b.jar.get('mr_session')!;
  assert.is((await b.req('POST', '/logout', { csrf: t })).status, 303);
  const stale = await fetch(m.http + '/account', { redirect: 'manual', headers: { cookie: `mr_session=${cookie}` } });
  assert.is(stale.status, 303);
});

test('UI pages of a private inbox show nothing to others', async () => {
  const others = [new Browser(m.http), await signIn('mallory', 'mallory-password-1')];
  const paths = [
    `/inbox/${encodeURIComponent(PRIVATE)}`,
    `/inbox/${encodeURIComponent(PRIVATE)}/${privateId}`,
    `/inbox/${encodeURIComponent(PRIVATE)}/${privateId}/html`,
    `/inbox/${encodeURIComponent(PRIVATE)}/${privateId}/headers`,
    `/inbox/${encodeURIComponent(PRIVATE)}/${privateId}/raw`,
    `/inbox/${encodeURIComponent(PRIVATE)}/${privateId}/attachments/0`,
    `/inbox/${encodeURIComponent('Alice.Private+tag@mailroom.test')}`,
  ];
  for (const b of others) {
    for (const p of paths) {
      const r = await b.req('GET', p);
      assert.not.ok(r.text.includes(SECRET) || r.text.includes(privateId), `${p} leaks to ${b.jar.has('mr_session') ? 'another user' : 'no one signed in'}`);
      assert.ok(r.status >= 400, `${p}: ${r.status}`);
    }
  }
  const owner = await signIn('alice', 'alice-password-1');
  const inbox = await owner.req('GET', `/inbox/${encodeURIComponent(PRIVATE)}`);
  assert.is(inbox.status, 200);
  assert.ok(inbox.text.includes(SECRET));
  const adminView = await new Browser(m.http).req('GET', `/inbox/${encodeURIComponent(PRIVATE)}`, undefined, { 'Mailsac-Key': ADMIN_KEY });
  assert.ok(adminView.text.includes(SECRET));
  void aliceKey;
});

test.run();
