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
import { sqlValue } from '../helpers/database-file.js';

const PUBLIC = 'open.box@mailroom.test';
const PRIVATE = 'secret.box@mailroom.test';
/** A verified account domain of the owner's: the domain forms (added after issue 13 item 1) must refuse an anonymous visitor too. */
const OWN_DOMAIN = 'owned-domain.example';

let m: TestMailroom;
let ownerId: number;
let keyId: number;

test.before(async () => {
  m = await startApiMailroom();
  const owner = await makeUser(m.store, 'owner');
  ownerId = owner.id;
  keyId = m.store.keys.listForUser(ownerId)[0]!.id;
  m.store.addresses.reserve(PRIVATE, ownerId);
  m.store.domains.add(OWN_DOMAIN, ownerId, 'verification-token');
  m.store.domains.markVerified(OWN_DOMAIN);
});

test.after(async () => {
  await m?.cleanup();
});

type Snapshot = { message: unknown; address: unknown; keys: unknown; addresses: unknown; domains: unknown; sessions: number };

function snapshot(inbox: string, id: string): Snapshot {
  const msg = m.store.messages.get(id);
  return {
    message: msg && { starred: msg.starred, folder: msg.folder, labels: msg.labels, read: msg.read },
    address: m.store.addresses.get(PRIVATE),
    keys: m.store.keys.listForUser(ownerId).map((k) => [k.id, k.revoked]),
    addresses: m.store.addresses.listForOwner(ownerId).map((a) => a.address),
    domains: m.store.domains.list().map((d) => [d.domain, d.ownerId, d.verified, d.isPrivate, d.forward, d.webhook, d.enablews]),
    sessions: sqlValue(m.store, 'SELECT count(*) FROM sessions') as number,
  };
}

/** Every POST form of the UI that changes something, with the fields its page sends. */
function forms(inbox: string, id: string): Array<{ path: string; fields: Record<string, string>; loginFirst?: true }> {
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
    { path: '/account/domains', fields: { domain: 'grabbed-domain.example' } },
    { path: `/account/domains/${OWN_DOMAIN}/verify`, fields: {} },
    { path: `/account/domains/${OWN_DOMAIN}/privacy`, fields: { private: 'true' } },
    { path: `/account/domains/${OWN_DOMAIN}/settings`, fields: { forward: 'thief@example.org', webhook: '', webhookSlack: '', enablews: 'true' } },
    { path: `/account/domains/${OWN_DOMAIN}/remove`, fields: {} },
    // Billing is off in this Mailroom and would answer 404 to anyone, so these
    // must be refused as the sign-in check refuses (303 to /login), before that 404.
    { path: '/account/billing/checkout', fields: { price: 'price_any' }, loginFirst: true },
    { path: '/account/billing/portal', fields: {}, loginFirst: true },
  ];
}

/**
 * Valid CSRF tokens for an anonymous visitor, one from each group of pages
 * (account, inbox, data-rights). They once signed with a secret each, so a
 * token from /login was refused by the inbox and data-rights forms' CSRF check
 * before their access rule ever ran (and a case refused that way proves nothing
 * about the rule); taking each form's token from its own pages keeps the matrix
 * meaningful whatever the pages sign with. Tokens are not tied to
 * a session: a visitor who signed in once keeps the cookie and the tokens
 * after the session is gone, as a script would.
 */
async function anonymousTokens(): Promise<{ cookie: string; account: string; inbox: string; dataRights: string }> {
  await m.store.users.create({ username: 'tokenadmin', password: 'tokenadmin-password-1', role: 'admin' });
  const { id } = await storeRaw(m.store, rawMessage({ to: PUBLIC, subject: 'for a token', text: 'body' }), PUBLIC);
  const v = await new Visitor(m.http).signIn('tokenadmin', 'tokenadmin-password-1');
  const tokens = { account: await v.token('/account'), inbox: await v.token(`/inbox/${PUBLIC}/${id}`), dataRights: await v.token('/account/audit') };
  return { cookie: v.jar.get('mr_csrf')!, ...tokens };
}

test('an anonymous visitor with a valid CSRF token changes nothing through any UI form', async () => {
  const failures: string[] = [];
  let cases = 0;
  const tokens = await anonymousTokens();
  assert.ok(tokens.cookie, 'the CSRF cookie');
  for (const inbox of [PUBLIC, PRIVATE]) {
    for (const form of forms(inbox, 'placeholder')) {
      const { id } = await storeRaw(m.store, rawMessage({ to: inbox, subject: 'keep me', text: 'body' }), inbox);
      m.store.messages.setLabels(id, ['keep']);
      const f = forms(inbox, id).find((x) => x.path.replace(id, 'placeholder') === form.path)!;
      const visitor = new Visitor(m.http);
      visitor.jar.set('mr_csrf', tokens.cookie);
      const token = f.path.startsWith('/inbox/') ? tokens.inbox : f.path.startsWith('/account/data/') ? tokens.dataRights : tokens.account;
      const before = snapshot(inbox, id);
      const res = await visitor.req('POST', f.path, { csrf: token, ...f.fields });
      cases++;
      const after = snapshot(inbox, id);
      const where = `${inbox === PUBLIC ? 'public' : 'private'} POST ${f.path.replace(id, ':id')}`;
      // Refused: an error status, or a redirect to the login page; never a change.
      const toLogin = res.status === 303 && res.headers.get('location') === '/login';
      const refused = f.loginFirst ? toLogin : (res.status >= 400 && res.status < 500) || toLogin;
      if (!refused) failures.push(`${where}: ${res.status} ${res.headers.get('location') ?? ''}`);
      if (/came from another site|did not come from the Delete button/.test(res.text)) failures.push(`${where}: refused by the CSRF check, so the access rule was not tried`);
      if (JSON.stringify(before) !== JSON.stringify(after)) failures.push(`${where}: changed ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    }
  }
  assert.ok(cases >= 40, `only ${cases} cases`);
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

test("an address's owner deletes all its mail with the form the account page gave (one CSRF secret for every page)", async () => {
  // The form is rendered by the account pages and posted to the data-rights
  // route: it used to be signed and checked with two different secrets, so the
  // owner always got 403 "This form has expired".
  const inbox = 'wipe.mine@mailroom.test';
  const wiper = await m.store.users.create({ username: 'wiper', password: 'wiper-password-1', role: 'user' });
  m.store.addresses.reserve(inbox, wiper.id);
  const { id } = await storeRaw(m.store, rawMessage({ to: inbox, subject: 'wipe me', text: 'body' }), inbox);
  const owner = await new Visitor(m.http).signIn('wiper', 'wiper-password-1');
  const page = await owner.req('GET', '/account');
  assert.is(page.status, 200);
  const action = `/account/data/address/${encodeURIComponent(inbox)}/delete`;
  const at = page.text.indexOf(`action="${action}"`);
  assert.ok(at > 0, 'the delete-all form on /account');
  const token = /name="csrf" value="([^"]+)"/.exec(page.text.slice(at))![1]!;
  const res = await owner.req('POST', action, { csrf: token, confirm: 'yes' });
  assert.is(res.status, 303, `${res.status} ${res.text}`);
  assert.is(res.headers.get('location'), '/account');
  assert.is(m.store.messages.get(id), null);
});

test.run();
