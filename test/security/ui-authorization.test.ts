// The authorization matrix for the UI's own doors (issue 13 item 1): every
// state-changing form, posted by an anonymous visitor with a valid CSRF token
// obtained the way any visitor gets one, against a public and a private inbox.
// The API refuses these without a key (api-authorization.test.ts); the forms
// must not be a way around that. Each case checks the answer and that nothing
// changed in the store.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeUser, rawMessage, startApiMailroom, storeRaw, type TestMailroom } from '../api/_helpers.js';
import { Visitor } from './web-client.js';

const PUBLIC = 'open.box@mailroom.test';
const PRIVATE = 'secret.box@mailroom.test';

let m: TestMailroom;
let ownerId: number;
let keyId: number;

test.before(async () => {
  m = await startApiMailroom();
  const owner = await makeUser(m.store, 'owner');
  ownerId = owner.id;
  keyId = m.store.keys.listForUser(ownerId)[0]!.id;
  m.store.addresses.reserve(PRIVATE, ownerId);
});

test.after(async () => {
  await m?.cleanup();
});

type Snapshot = { message: unknown; address: unknown; keys: unknown; addresses: unknown; sessions: number };

function snapshot(inbox: string, id: string): Snapshot {
  const msg = m.store.messages.get(id);
  return {
    message: msg && { starred: msg.starred, folder: msg.folder, labels: msg.labels, read: msg.read },
    address: m.store.addresses.get(PRIVATE),
    keys: m.store.keys.listForUser(ownerId).map((k) => [k.id, k.revoked]),
    addresses: m.store.addresses.listForOwner(ownerId).map((a) => a.address),
    sessions: m.store.db.prepare('SELECT count(*) FROM sessions').pluck().get() as number,
  };
}

/** Every POST form of the UI that changes something, with the fields its page sends. */
function forms(inbox: string, id: string): Array<{ path: string; fields: Record<string, string> }> {
  const e = encodeURIComponent(inbox);
  return [
    { path: `/inbox/${e}/${id}/delete`, fields: {} },
    { path: `/account/mail/${e}/${id}/star`, fields: {} },
    { path: `/account/mail/${e}/${id}/folder`, fields: { folder: 'spam' } },
    { path: `/account/mail/${e}/${id}/labels`, fields: { label: 'pwned' } },
    { path: `/account/mail/${e}/${id}/labels/remove`, fields: { label: 'keep' } },
    { path: '/account/addresses', fields: { address: 'grab@mailroom.test' } },
    { path: `/account/addresses/${e}`, fields: { info: 'changed', forward: 'thief@example.org', webhook: '', webhookSlack: '' } },
    { path: `/account/addresses/${e}/release`, fields: { deleteMessages: 'true' } },
    { path: '/account/keys', fields: { name: 'stolen' } },
    { path: `/account/keys/${keyId}/revoke`, fields: {} },
    { path: '/account/sessions/revoke', fields: {} },
    { path: `/account/data/address/${e}/delete`, fields: { confirm: 'yes' } },
    { path: '/account/data/delete', fields: { subject: inbox, confirm: 'yes' } },
  ];
}

test('an anonymous visitor with a valid CSRF token changes nothing through any UI form', async () => {
  const failures: string[] = [];
  let cases = 0;
  for (const inbox of [PUBLIC, PRIVATE]) {
    for (const form of forms(inbox, 'placeholder')) {
      const { id } = await storeRaw(m.store, rawMessage({ to: inbox, subject: 'keep me', text: 'body' }), inbox);
      m.store.messages.setLabels(id, ['keep']);
      const f = forms(inbox, id).find((x) => x.path.replace(id, 'placeholder') === form.path)!;
      const visitor = new Visitor(m.http);
      // A token as an anonymous visitor gets one (every form of the site takes the same token).
      const token = await visitor.token('/login');
      const before = snapshot(inbox, id);
      const res = await visitor.req('POST', f.path, { csrf: token, ...f.fields });
      cases++;
      const after = snapshot(inbox, id);
      const where = `${inbox === PUBLIC ? 'public' : 'private'} POST ${f.path.replace(id, ':id')}`;
      // Refused: an error status, or a redirect to the login page; never a change.
      const refused = (res.status >= 400 && res.status < 500) || (res.status === 303 && res.headers.get('location') === '/login');
      if (!refused) failures.push(`${where}: ${res.status} ${res.headers.get('location') ?? ''}`);
      if (JSON.stringify(before) !== JSON.stringify(after)) failures.push(`${where}: changed ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    }
  }
  assert.ok(cases >= 26, `only ${cases} cases`);
  assert.equal(failures, []);
});

test('the public message page offers no delete button to an anonymous visitor, and a signed-in reader may delete', async () => {
  const { id } = await storeRaw(m.store, rawMessage({ to: PUBLIC, subject: 'deletable', text: 'body' }), PUBLIC);
  const anon = new Visitor(m.http);
  const page = await anon.req('GET', `/inbox/${PUBLIC}/${id}`);
  assert.is(page.status, 200);
  assert.not.ok(page.text.includes(`/${id}/delete`), 'delete form shown to an anonymous visitor');
  await m.store.users.create({ username: 'reader', password: 'reader-password-1', role: 'user' });
  const reader = await new Visitor(m.http).signIn('reader', 'reader-password-1');
  const signedPage = await reader.req('GET', `/inbox/${PUBLIC}/${id}`);
  assert.ok(signedPage.text.includes(`/${id}/delete`), 'delete form missing for a signed-in reader');
  const token = /name="csrf" value="([^"]+)"/.exec(signedPage.text)![1]!;
  const res = await reader.req('POST', `/inbox/${PUBLIC}/${id}/delete`, { csrf: token });
  assert.is(res.status, 303);
  assert.is(m.store.messages.get(id), null);
});

test.run();
