// Stars do not outlive privacy (issue 13 item 3): a message another user
// starred while its inbox was public leaves that user's starred list once the
// address is reserved by someone else, in the API and the UI alike. The
// starred list is filtered by the reader's current right to read each inbox.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { api, makeUser, rawMessage, startApiMailroom, storeRaw, type TestMailroom } from '../api/_helpers.js';
import { Visitor } from './web-client.js';

const BOX = 'reset.link@mailroom.test';
const SUBJECT = 'Your reset token Qx7Zr2';

let m: TestMailroom;

test.before(async () => {
  m = await startApiMailroom();
});

test.after(async () => {
  await m?.cleanup();
});

test('a star taken while an inbox was public stops showing once someone else reserves the address', async () => {
  const starrer = await makeUser(m.store, 'starrer');
  await m.store.users.setPassword(starrer.id, 'starrer-password-1');
  const owner = await makeUser(m.store, 'newowner');
  const { id } = await storeRaw(m.store, rawMessage({ to: BOX, subject: SUBJECT, text: 'token' }), BOX);
  assert.is((await api(m, 'PUT', `/api/addresses/${BOX}/messages/${id}/star`, { key: starrer.key })).status, 200);

  const starredApi = () => api(m, 'GET', '/api/addresses/starred/messages', { key: starrer.key });
  const visitor = await new Visitor(m.http).signIn('starrer', 'starrer-password-1');
  const starredUi = () => visitor.req('GET', '/account/mail?starred=1');

  assert.ok((await starredApi()).text.includes(SUBJECT), 'starred while public: listed');
  assert.ok((await starredUi()).text.includes(SUBJECT), 'starred while public: on the page');

  assert.is((await api(m, 'POST', `/api/addresses/${BOX}`, { key: owner.key })).status, 200);
  for (const res of [await starredApi(), await starredUi()]) {
    assert.is(res.status, 200);
    assert.not.ok(res.text.includes(SUBJECT), 'subject still listed after the address became private');
    assert.not.ok(res.text.includes(id), 'id still listed after the address became private');
  }
  // The new owner sees their mail, but not who once starred it: that star was the starrer's, not theirs.
  const ownerView = await api(m, 'GET', `/api/addresses/${BOX}/messages/${id}`, { key: owner.key });
  assert.is(ownerView.status, 200);
  assert.is(ownerView.json.savedBy, null);
});

test('a public inbox closed by the operator (publicInboxes off, admin-only) leaves starred lists too', async () => {
  const closed = await startApiMailroom({ privacy: { publicInboxes: false, unownedHandling: 'admin-only' } } as never);
  try {
    const u = await makeUser(closed.store, 'keeper');
    const { id } = await storeRaw(closed.store, rawMessage({ to: BOX, subject: SUBJECT, text: 'token' }), BOX);
    closed.store.messages.setStarred(id, true);
    closed.store.queries.setSavedBy(id, u.id);
    const res = await api(closed, 'GET', '/api/addresses/starred/messages', { key: u.key });
    assert.is(res.status, 200);
    assert.not.ok(res.text.includes(SUBJECT));
  } finally {
    await closed.cleanup();
  }
});

test.run();
