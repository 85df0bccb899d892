// The small holes of issue 13 item 7: a NUL in a search query, a decoded path
// segment written into a redirect's Location, full-width look-alike
// addresses, and savedBy naming users to anyone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { api, makeUser, rawMessage, startApiMailroom, storeRaw, type TestMailroom } from '../api/_helpers.js';
import { deliver, rawGet } from './web-client.js';
import { canonicalAddress } from '../../src/policy/address.js';

const PUBLIC = 'open.box@mailroom.test';

let m: TestMailroom;

test.before(async () => {
  m = await startApiMailroom();
});

test.after(async () => {
  await m?.cleanup();
});

test('a NUL byte in a search query is a 400, in the API and the UI', async () => {
  await storeRaw(m.store, rawMessage({ to: PUBLIC, subject: 'findable words', text: 'x' }), PUBLIC);
  for (const q of ['a%00b', '%00', 'findable%00']) {
    const res = await api(m, 'GET', `/api/inbox-search?inbox=${PUBLIC}&query=${q}`);
    assert.is(res.status, 400, `API ${q}: ${res.text.slice(0, 80)}`);
    const page = await fetch(`${m.http}/search?inbox=${PUBLIC}&q=${q}`);
    assert.is(page.status, 400, `UI ${q}`);
  }
  assert.is((await api(m, 'GET', `/api/inbox-search?inbox=${PUBLIC}&query=findable`)).json.messages.length, 1);
});

test('the attachment redirect percent-encodes what it writes into Location', async () => {
  const { id } = await storeRaw(m.store, rawMessage({ to: PUBLIC, subject: 'att', text: 'x' }), PUBLIC);
  for (const seg of ['%0D%0ASet-Cookie:%20x=1', '%0A', 'a%20b%22c']) {
    const res = await fetch(`${m.http}/inbox/Open.Box@mailroom.test/${id}/attachments/${seg}`, { redirect: 'manual' });
    assert.is(res.status, 301, seg);
    const location = res.headers.get('location') ?? '';
    assert.ok(location.startsWith(`/inbox/open.box@mailroom.test/${id}/attachments/`), location);
    assert.not.match(location, /[\r\n "]/);
    assert.is(res.headers.get('set-cookie'), null);
  }
  // The same through a raw request, as a browser would never send it.
  const raw = await rawGet(m.http, `/inbox/Open.Box@mailroom.test/${id}/attachments/%0D%0A`);
  assert.is(raw.status, 301);
});

test('full-width look-alikes fold to the one inbox (NFKC), over SMTP, the API and the UI', async () => {
  assert.is(canonicalAddress('ｓｅｃｒｅｔ@mailroom.test')?.inbox, 'secret@mailroom.test');
  assert.is(canonicalAddress('ｓｅｃｒｅｔ@ｍａｉｌｒｏｏｍ.test')?.inbox, 'secret@mailroom.test');
  const owner = await makeUser(m.store, 'secretowner');
  m.store.addresses.reserve('secret@mailroom.test', owner.id);
  const code = await deliver(m.smtpAddress.port, 'ｓｅｃｒｅｔ@mailroom.test', 'From: a@example.org\r\nTo: x\r\nSubject: look-alike\r\n\r\nhello\r\n');
  assert.is(code, 250);
  await m.parseQueue.idle();
  const mine = await api(m, 'GET', '/api/addresses/secret@mailroom.test/messages', { key: owner.key });
  assert.is(mine.json.length, 1, 'the look-alike mail lands in the owned inbox');
  const wide = encodeURIComponent('ｓｅｃｒｅｔ@mailroom.test');
  assert.is((await api(m, 'GET', `/api/addresses/${wide}/messages`)).status, 403);
  const page = await fetch(`${m.http}/inbox/${wide}`, { redirect: 'manual' });
  assert.ok(page.status === 301 || page.status === 403, `UI: ${page.status}`);
  if (page.status === 301) assert.is(page.headers.get('location'), '/inbox/secret@mailroom.test');
});

test('savedBy names the starrer only to that user, the inbox owner and admins', async () => {
  const starrer = await makeUser(m.store, 'starrer');
  const other = await makeUser(m.store, 'otheruser');
  const { id } = await storeRaw(m.store, rawMessage({ to: PUBLIC, subject: 'star me', text: 'x' }), PUBLIC);
  assert.is((await api(m, 'PUT', `/api/addresses/${PUBLIC}/messages/${id}/star`, { key: starrer.key })).status, 200);
  const path = `/api/addresses/${PUBLIC}/messages/${id}`;
  assert.is((await api(m, 'GET', path)).json.savedBy, null, 'anonymous');
  assert.is((await api(m, 'GET', path, { key: other.key })).json.savedBy, null, 'another user');
  assert.is((await api(m, 'GET', path, { key: starrer.key })).json.savedBy, 'starrer', 'the starrer');
  assert.is((await api(m, 'GET', path, { key: 'test-admin-key-0123456789abcdef' })).json.savedBy, 'starrer', 'admin');
  const list = await api(m, 'GET', `/api/addresses/${PUBLIC}/messages`);
  assert.not.ok(list.text.includes('starrer'), 'list shows the name');
});

test.run();
