// The authorization matrix (issue 3, "Done means"): every API route, with no
// key, a wrong key, another user's key, the owner's key and the admin key,
// against a public and a private inbox. Each answer's status is checked, and
// nothing of the private inbox (id, subject, body, attachment) may appear in
// any answer the caller was not entitled to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApi } from '../../src/http/api/index.js';
import type { RecordedRoute } from '../../src/http/api/registry.js';
import { silentLogger } from '../../src/log.js';
import { limiterFor } from '../../src/http/middleware/rate-limit.js';
import { ADMIN_KEY, api, makeUser, md5, rawMessage, startApiMailroom, storeRaw, type TestMailroom } from './_helpers.js';

type Who = 'none' | 'bad' | 'other' | 'owner' | 'admin';
const WHO: Who[] = ['none', 'bad', 'other', 'owner', 'admin'];
const PUBLIC = 'open.box@mailroom.test';
const PRIVATE = 'secret.box@mailroom.test';
const SECRET = 'Zanzibarquux';
const ATTACHMENT = 'attachment-bytes-of-the-private-inbox';

let m: TestMailroom;
let keys: Record<Who, string | undefined>;
let ownerId: number;
let routes: RecordedRoute[];

test.before(async () => {
  m = await startApiMailroom();
  const owner = await makeUser(m.store, 'owner');
  const other = await makeUser(m.store, 'other');
  ownerId = owner.id;
  keys = { none: undefined, bad: 'mr_' + 'x'.repeat(43), other: other.key, owner: owner.key, admin: ADMIN_KEY };
  limiterFor(m.store).max = 1_000_000; // the matrix sends hundreds of bad keys on purpose
  routes = createApi({ config: m.config, store: m.store, log: silentLogger(), health: () => ({}) as never }).routes;
});

test.after(async () => {
  await m?.cleanup();
});

/** Puts the world back: PRIVATE owned by owner, PUBLIC unowned, one fresh message with an attachment in each. */
async function reset(): Promise<Record<'public' | 'private', { id: string }>> {
  const owned = m.store.addresses.get(PRIVATE);
  if (!owned || owned.ownerId !== ownerId) {
    if (owned) m.store.addresses.release(PRIVATE);
    m.store.addresses.reserve(PRIVATE, ownerId);
  }
  if (m.store.addresses.get(PUBLIC)) m.store.addresses.release(PUBLIC);
  const pub = await storeRaw(m.store, rawMessage({ to: PUBLIC, subject: 'Public hello', text: 'nothing to hide here', attachment: { filename: 'pub.txt', content: 'public-attachment' } }), PUBLIC);
  const priv = await storeRaw(
    m.store,
    rawMessage({ to: PRIVATE, subject: `${SECRET} subject`, text: `the body says ${SECRET}`, attachment: { filename: 'secret.txt', content: ATTACHMENT } }),
    PRIVATE,
  );
  // Both starred by their owner side so starred lists have something to leak.
  m.store.messages.setStarred(priv.id, true);
  m.store.queries.setSavedBy(priv.id, ownerId);
  return { public: pub, private: priv };
}

function fill(route: RecordedRoute, inbox: string, id: string, attachment: string): string {
  return route.path
    .replace(':email', encodeURIComponent(inbox))
    .replace(':messageId', id)
    .replace(':label', 'work')
    .replace(':folder', 'spam')
    .replace(':readBoolean', 'true')
    .replace(':attachmentIdentifier', attachment)
    .replace(':domain', 'mailroom.test')
    .replace(':md5sum', attachment)
    .replace(':domainOrIP', 'example.org')
    .replace(':isPrivateBoolean', 'true')
    // Data rights (issue 4): export the owner's account; delete a user that does not exist.
    .replace(':username', route.method === 'delete' ? 'nobody' : 'owner');
}

const WRITE = (r: RecordedRoute) => r.method !== 'get';

/** The status each caller must get. */
function expected(r: RecordedRoute, who: Who, kind: 'public' | 'private'): number | number[] {
  const ok = r.method === 'delete' && r.path === '/addresses/:email/messages' ? 204 : 200;
  const user = who === 'other' || who === 'owner' || who === 'admin';
  const entitled = kind === 'public' || who === 'owner' || who === 'admin';
  if (r.auth === 'none') return 501;
  if (r.tags.includes('Data rights')) {
    // Issue 4: an address's owner or an admin; an unowned address, admins; an account, itself or an admin (bad-input 68).
    if (!user) return 401;
    if (r.path === '/audit') return who === 'admin' ? 200 : 403;
    if (r.path.startsWith('/users/')) return r.method === 'delete' ? (who === 'admin' ? 404 : 403) : who === 'other' ? 403 : 200;
    return who === 'admin' || (kind === 'private' && who === 'owner') ? 200 : 403;
  }
  if (r.auth === 'inbox') {
    if (kind === 'private' && !entitled) return 403; // one answer whatever the key (bad-input 61)
    if (who === 'bad') return 401;
    if (WRITE(r) && who === 'none') return 401;
    if (r.path === '/addresses/:email/messages' && r.method === 'delete' && kind === 'public') return who === 'admin' ? 204 : 403;
    // The legacy set-labels route with no body: not a list of labels.
    if (r.path === '/addresses/:email/messages/:messageId/labels') return 400;
    return ok;
  }
  if (!user) return 401;
  if (r.auth === 'admin') return who === 'admin' ? 204 : 403;
  if (!r.path.includes(':email')) {
    if (r.path === '/private-addresses-bulk') return 400; // an empty body is a bad list
    if (r.path === '/inbox-filter') return 400; // no condition given
    if (r.path === '/outgoing-messages') return 400; // no recipient given
    // Your own domains (issue 12): mailroom.test is the operator's, so it cannot be added, and is no account's to manage.
    if (r.path === '/domains/:domain' && r.method === 'post') return 400;
    if (r.path === '/domains/:domain' && (r.method === 'delete' || r.method === 'put')) return 404;
    if (['/domains/:domain/setup', '/domains/:domain/verify', '/domains/:domain/privacy/:isPrivateBoolean', '/domains/:domain/catch-all/:enabled'].includes(r.path)) return 404;
    return 200;
  }
  // Address routes on a specific address. Owned by another account: 401, as Mailsac documents it (issue 12).
  const mine = kind === 'private' && (who === 'owner' || who === 'admin');
  const theirs = kind === 'private' && who === 'other';
  if (r.path === '/addresses/:email/availability') return 200;
  if (r.method === 'get') return theirs ? 401 : 200;
  if (r.method === 'post') return kind === 'public' ? 200 : who === 'owner' ? 400 : 401;
  // put, delete: only on a reserved address, only its owner or an admin.
  if (kind === 'public') return 400;
  return mine ? 200 : 401;
}

test('every API route × every caller × public and private inbox', async () => {
  const failures: string[] = [];
  let cases = 0;
  for (const r of routes) {
    for (const kind of ['public', 'private'] as const) {
      for (const who of WHO) {
        const msgs = await reset();
        const inbox = kind === 'public' ? PUBLIC : PRIVATE;
        const attachment = md5(kind === 'public' ? 'public-attachment' : ATTACHMENT);
        const path = '/api' + fill(r, inbox, msgs[kind].id, attachment);
        const res = await api(m, r.method.toUpperCase(), path, { key: keys[who] });
        cases++;
        const want = expected(r, who, kind);
        const wants = Array.isArray(want) ? want : [want];
        if (!wants.includes(res.status)) failures.push(`${r.method.toUpperCase()} ${r.path} ${kind} ${who}: ${res.status} (want ${wants.join('|')}) ${res.text.slice(0, 120)}`);
        if (res.status >= 400 && res.json && typeof res.json.message !== 'string') failures.push(`${r.method.toUpperCase()} ${r.path} ${kind} ${who}: error without a message`);
        // Nothing of the private inbox for those not entitled to it.
        if (who !== 'owner' && who !== 'admin') {
          for (const leak of [msgs.private.id, SECRET, ATTACHMENT, Buffer.from(ATTACHMENT).toString('base64')]) {
            if (res.text.includes(leak)) failures.push(`${r.method.toUpperCase()} ${r.path} ${kind} ${who}: leaks ${leak.slice(0, 12)}`);
          }
        }
      }
    }
  }
  assert.ok(cases > 300, `only ${cases} cases`);
  assert.equal(failures, []);
});

test('account-wide routes show a user only their own private mail', async () => {
  const msgs = await reset();
  for (const [who, sees] of [['other', false], ['owner', true], ['admin', true]] as const) {
    for (const path of ['/api/inbox?limit=1000', `/api/inbox-search?query=${SECRET}`, '/api/addresses/starred/messages', '/api/domains/mailroom.test/messages?limit=1000', `/api/inbox-filter?andSubjectIncludes=${SECRET}`]) {
      const res = await api(m, 'GET', path, { key: keys[who] });
      assert.is(res.status, 200, path);
      assert.is(res.text.includes(msgs.private.id), sees, `${who} ${path}`);
    }
  }
  const stats = await api(m, 'GET', '/api/me/stats', { key: keys.other });
  assert.equal(stats.json.addresses, []);
  const search = await api(m, 'GET', `/api/inbox-search?inbox=${encodeURIComponent(PRIVATE)}&query=${SECRET}`, { key: keys.other });
  assert.is(search.status, 403);
  const anonSearch = await api(m, 'GET', `/api/inbox-search?inbox=${encodeURIComponent(PRIVATE)}&query=${SECRET}`);
  assert.is(anonSearch.status, 403);
});

test('spellings of a private address reach the same private inbox', async () => {
  const msgs = await reset();
  for (const spelling of ['Secret.Box+tag@mailroom.test', 'secret.box%2Btag%40mailroom.test', 'SECRET.BOX@MAILROOM.TEST.', 'secret.box@MailRoom.Test']) {
    const path = `/api/addresses/${spelling}/messages/${msgs.private.id}`;
    assert.is((await api(m, 'GET', path)).status, 403, spelling);
    assert.is((await api(m, 'GET', path, { key: keys.other })).status, 403, spelling);
    assert.is((await api(m, 'GET', path, { key: keys.owner })).status, 200, spelling);
  }
});

test('a message id from another inbox is 404, not a way in', async () => {
  const msgs = await reset();
  const res = await api(m, 'GET', `/api/addresses/${PUBLIC}/messages/${msgs.private.id}`);
  assert.is(res.status, 404);
  assert.not.ok(res.text.includes(SECRET));
  for (const id of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f', '12345']) {
    assert.is((await api(m, 'GET', `/api/raw/${PUBLIC}/${id}`)).status, 404, id);
  }
});

test('a key is accepted from the header, the query and the JSON body; revoked keys are refused', async () => {
  await reset();
  assert.is((await api(m, 'GET', `/api/me?_mailsacKey=${keys.owner}`)).json._id, 'owner');
  assert.is((await api(m, 'GET', '/api/me', { key: keys.owner })).json._id, 'owner');
  const viaBody = await api(m, 'PUT', `/api/addresses/${PRIVATE}`, { body: { _mailsacKey: keys.owner, info: 'set via body key' } });
  assert.is(viaBody.status, 200);
  assert.is(viaBody.json.info, 'set via body key');
  // JSON labelled as a form, as curl -d sends it.
  const formLabelled = await api(m, 'PUT', `/api/addresses/${PRIVATE}`, {
    key: keys.owner,
    body: JSON.stringify({ forward: 'elsewhere@example.test' }),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  assert.is(formLabelled.status, 200);
  assert.is(formLabelled.json.forward, 'elsewhere@example.test');
  const { key, record } = m.store.keys.create(ownerId, 'temp');
  assert.is((await api(m, 'GET', '/api/me', { key })).status, 200);
  m.store.keys.revoke(record.id);
  assert.is((await api(m, 'GET', '/api/me', { key })).status, 401);
});

test('public inboxes need a key when the operator turns them off', async () => {
  const closed = await startApiMailroom({ privacy: { publicInboxes: false } } as never);
  try {
    const u = await makeUser(closed.store, 'reader');
    const { id } = await storeRaw(closed.store, rawMessage({ to: PUBLIC, subject: 'x', text: 'y' }), PUBLIC);
    assert.is((await api(closed, 'GET', `/api/addresses/${PUBLIC}/messages`)).status, 401);
    assert.is((await api(closed, 'GET', `/api/addresses/${PUBLIC}/messages/${id}`)).status, 401);
    assert.is((await api(closed, 'GET', `/api/addresses/${PUBLIC}/messages`, { key: u.key })).status, 200);
  } finally {
    await closed.cleanup();
  }
});

test('reserved local parts are admin-only and cannot be reserved', async () => {
  await reset();
  const pm = 'postmaster@mailroom.test';
  await storeRaw(m.store, rawMessage({ to: pm, subject: 'dmarc report', text: 'r' }), pm);
  assert.is((await api(m, 'GET', `/api/addresses/${pm}/messages`)).status, 403);
  assert.is((await api(m, 'GET', `/api/addresses/${pm}/messages`, { key: keys.owner })).status, 403);
  assert.is((await api(m, 'GET', `/api/addresses/${pm}/messages`, { key: keys.admin })).json.length, 1);
  const r = await api(m, 'POST', `/api/addresses/${pm}`, { key: keys.owner });
  assert.is(r.status, 400);
  assert.is((await api(m, 'GET', `/api/addresses/${pm}/availability`, { key: keys.owner })).json.available, false);
});

test('repeated bad keys are throttled; good keys from the same address still work', async () => {
  const limiter = limiterFor(m.store);
  limiter.max = 5;
  limiter.reset();
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await api(m, 'GET', '/api/me', { key: 'mr_wrong' + i })).status);
    assert.equal(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.is(statuses[7], 429);
    assert.is((await api(m, 'GET', '/api/me', { key: keys.owner })).status, 200);
  } finally {
    limiter.max = 1_000_000;
  }
});

test.run();
