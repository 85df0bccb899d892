// "Your domains" on the account page (issue 12): added from the page, the MX
// and TXT records shown, DNS checked through a stub resolver, privacy toggled
// and the domain removed; another account can do none of it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Visitor as Browser } from '../security/web-client.js';
import { ADMIN_KEY, startApiMailroom, type TestMailroom } from '../api/_helpers.js';

const DOMAIN = 'pages-domain.example';
const txt = new Map<string, string[][]>();
let m: TestMailroom;

test.before(async () => {
  m = await startApiMailroom({ auth: { adminKey: ADMIN_KEY } } as never, { resolveTxt: async (name) => txt.get(name) ?? [] });
  await m.store.users.create({ username: 'alice', password: 'alice-password-1' });
  await m.store.users.create({ username: 'mallory', password: 'mallory-password-1' });
});

test.after(async () => {
  await m?.cleanup();
});

async function signIn(name: string, password: string): Promise<Browser> {
  const b = new Browser(m.http);
  const t = await b.token();
  assert.is((await b.req('POST', '/login', { csrf: t, username: name, password })).status, 303);
  return b;
}

test('add a domain on the account page, see its records, verify, toggle privacy, remove', async () => {
  const b = await signIn('alice', 'alice-password-1');
  const t = await b.token('/account');
  const added = await b.req('POST', '/account/domains', { csrf: t, domain: DOMAIN });
  assert.is(added.status, 200);
  const d = m.store.domains.get(DOMAIN)!;
  assert.ok(added.text.includes(`mailroom-verification=${d.token}`), 'the TXT record is shown');
  assert.ok(added.text.includes('10 mx.mailroom.test'), 'the MX record is shown');
  assert.ok(added.text.includes('Not verified yet'));
  assert.is((await b.req('POST', '/account/domains', { csrf: t, domain: 'mailroom.test' })).status, 400);

  const mal = await signIn('mallory', 'mallory-password-1');
  const mt = await mal.token('/account');
  assert.is((await mal.req('POST', `/account/domains/${DOMAIN}/verify`, { csrf: mt })).status, 403);
  assert.is((await mal.req('POST', `/account/domains/${DOMAIN}/remove`, { csrf: mt })).status, 403);
  assert.not.ok((await mal.req('GET', '/account')).text.includes(DOMAIN));
  // CSRF applies here as on every form.
  assert.is((await b.req('POST', `/account/domains/${DOMAIN}/verify`, {})).status, 403);

  assert.is((await b.req('POST', `/account/domains/${DOMAIN}/verify`, { csrf: t })).status, 400);
  txt.set(DOMAIN, [[`mailroom-verification=${d.token}`]]);
  const verified = await b.req('POST', `/account/domains/${DOMAIN}/verify`, { csrf: t });
  assert.is(verified.status, 200);
  assert.ok(verified.text.includes('is verified'));
  assert.ok(m.store.domains.get(DOMAIN)!.verified !== null);

  // Push settings from the page (issue 11): checked like the API's, saved, shown back; not another account's to set.
  const outside = await b.req('POST', `/account/domains/${DOMAIN}/settings`, { csrf: t, forward: 'someone@gmail.com' });
  assert.is(outside.status, 400);
  assert.ok(outside.text.includes('never sends mail out'));
  assert.is((await mal.req('POST', `/account/domains/${DOMAIN}/settings`, { csrf: mt, enablews: 'true' })).status, 403);
  const saved = await b.req('POST', `/account/domains/${DOMAIN}/settings`, {
    csrf: t,
    forward: 'team@mailroom.test',
    webhook: 'https://hooks.example/domain',
    webhookSlack: '',
    enablews: 'true',
  });
  assert.is(saved.status, 200);
  assert.ok(saved.text.includes('value="https://hooks.example/domain"'), 'shown back in the form');
  const after = m.store.domains.get(DOMAIN)!;
  assert.equal([after.forward, after.webhook, after.webhookSlack, after.enablews, after.webhookSlackToFrom], ['team@mailroom.test', 'https://hooks.example/domain', null, true, false]);
  // Unticked and emptied: off.
  await b.req('POST', `/account/domains/${DOMAIN}/settings`, { csrf: t, forward: '', webhook: '' });
  assert.equal([m.store.domains.get(DOMAIN)!.webhook, m.store.domains.get(DOMAIN)!.enablews], [null, false]);

  assert.is((await b.req('POST', `/account/domains/${DOMAIN}/privacy`, { csrf: t, private: 'false' })).status, 200);
  assert.is(m.store.domains.get(DOMAIN)!.isPrivate, false);
  assert.is((await b.req('POST', `/account/domains/${DOMAIN}/privacy`, { csrf: t, private: 'true' })).status, 200);
  assert.is(m.store.domains.get(DOMAIN)!.isPrivate, true);

  assert.is((await b.req('POST', `/account/domains/${DOMAIN}/remove`, { csrf: t })).status, 200);
  assert.is(m.store.domains.get(DOMAIN), null);
});

test.run();
