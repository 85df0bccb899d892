// Forwarding validation (policy/forwarding.ts) is one rule behind two doors:
// the API's PUT /api/addresses/{email} (and its legacy spelling) and the
// account page's address form. The cases below are where the two old copies
// disagreed (issue 10 "No door for a use-case"): the page cut long notes
// silently, stored the forward address as typed, and took any URL. Each is
// sent through both doors and must get the same answer and the same row.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { api, startApiMailroom } from '../api/_helpers.js';
import { Visitor } from '../security/web-client.js';
import { MAX_INFO, parseForwarding } from '../../src/policy/forwarding.js';

type M = Awaited<ReturnType<typeof startApiMailroom>>;
let m: M;
let key: string;
let browser: Visitor;
const VIA_API = 'fwd.api@mailroom.test';
const VIA_PAGE = 'fwd.page@mailroom.test';

test.before(async () => {
  m = await startApiMailroom();
  const u = await m.store.users.create({ username: 'forwarder', password: 'forwarder-password-1' });
  key = m.store.keys.create(u.id, 'fwd').key;
  m.store.addresses.reserve(VIA_API, u.id);
  m.store.addresses.reserve(VIA_PAGE, u.id);
  browser = await new Visitor(m.http).signIn('forwarder', 'forwarder-password-1');
});

test.after(async () => {
  await m.cleanup();
});

const FIELDS = { info: '', forward: '', webhook: '', webhookSlack: '', enablews: 'false' };

/** The page's form always sends every field; returns the status. */
async function viaPage(fields: Partial<typeof FIELDS>): Promise<number> {
  const csrf = await browser.token('/account');
  const r = await browser.req('POST', `/account/addresses/${VIA_PAGE}`, { csrf, ...FIELDS, ...fields });
  return r.status;
}

async function viaApi(fields: Partial<typeof FIELDS>, path = `/api/addresses/${VIA_API}`): Promise<number> {
  const body: Record<string, unknown> = { ...FIELDS, ...fields, enablews: (fields.enablews ?? FIELDS.enablews) === 'true' };
  return (await api(m, 'PUT', path, { key, body })).status;
}

const stored = (inbox: string) => m.store.addresses.get(inbox)!;

test('a valid update is stored the same way through both doors', async () => {
  const good = { info: 'team inbox', forward: 'Ops@MailRoom.TEST', webhook: 'https://hooks.example/in', enablews: 'true' };
  assert.is(await viaApi(good), 200);
  assert.is(await viaPage(good), 200);
  for (const inbox of [VIA_API, VIA_PAGE]) {
    const a = stored(inbox);
    assert.equal([a.info, a.forward, a.webhook, a.enablews], ['team inbox', 'Ops@mailroom.test', 'https://hooks.example/in', true], inbox);
  }
});

test('an over-long note is refused through both doors (the page used to cut it silently)', async () => {
  const long = { info: 'n'.repeat(MAX_INFO + 1) };
  assert.is(await viaApi(long), 400);
  assert.is(await viaPage(long), 400);
  assert.is(stored(VIA_API).info, 'team inbox', 'API: unchanged');
  assert.is(stored(VIA_PAGE).info, 'team inbox', 'page: unchanged, not cut');
  // Exactly at the limit is fine.
  assert.is(await viaApi({ info: 'n'.repeat(MAX_INFO) }), 200);
  assert.is(await viaPage({ info: 'n'.repeat(MAX_INFO) }), 200);
  assert.is(stored(VIA_PAGE).info.length, MAX_INFO);
});

test('the forward address is stored canonical through both doors (the page stored it as typed)', async () => {
  // Forwards stay inside this Mailroom (issue 11), so the target is one of its domains.
  const typed = { forward: ' <Someone@MAILROOM.Test> ' };
  assert.is(await viaApi(typed), 200);
  assert.is(await viaPage(typed), 200);
  assert.is(stored(VIA_API).forward, 'Someone@mailroom.test');
  assert.is(stored(VIA_PAGE).forward, 'Someone@mailroom.test');
  // And a forward that is not an address is refused by both.
  assert.is(await viaApi({ forward: 'not an address' }), 400);
  assert.is(await viaPage({ forward: 'not an address' }), 400);
  assert.is(stored(VIA_PAGE).forward, 'Someone@mailroom.test');
});

test('webhook URLs other than http(s) are refused through both doors (the page took any)', async () => {
  // Every update sends every field (as the page does), so set the webhook first.
  assert.is(await viaApi({ webhook: 'https://hooks.example/in' }), 200);
  assert.is(await viaPage({ webhook: 'https://hooks.example/in' }), 200);
  for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'ftp://hooks.example/x', 'https://' + 'a'.repeat(2000)]) {
    assert.is(await viaApi({ webhook: bad }), 400, `API ${bad.slice(0, 30)}`);
    assert.is(await viaPage({ webhook: bad }), 400, `page ${bad.slice(0, 30)}`);
    assert.is(await viaApi({ webhookSlack: bad }), 400, `API slack ${bad.slice(0, 30)}`);
    assert.is(await viaPage({ webhookSlack: bad }), 400, `page slack ${bad.slice(0, 30)}`);
  }
  assert.is(stored(VIA_API).webhook, 'https://hooks.example/in');
  assert.is(stored(VIA_PAGE).webhook, 'https://hooks.example/in');
  // The legacy API path is the same door.
  assert.is(await viaApi({ webhook: 'javascript:alert(1)' }, `/api/private-address-forwarding/${VIA_API}`), 400);
});

test('the rule itself: what each door passes in', () => {
  assert.equal(parseForwarding({ info: 'x'.repeat(MAX_INFO + 1) }, m.config), `info must be text up to ${MAX_INFO} characters`);
  // Forwarding stays inside this Mailroom (issue 11): the target is one of its domains.
  assert.equal(parseForwarding({ forward: '<A@Mailroom.Test>' }, m.config), { forward: 'A@mailroom.test' });
  assert.equal(parseForwarding({ webhook: 'javascript:alert(1)' }, m.config), 'webhook must be an http(s) URL');
  assert.equal(parseForwarding({ webhook: '', forward: null }, m.config), { webhook: null, forward: null });
});

test.run();
