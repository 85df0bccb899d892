// The request patterns of Mailsac's published examples and docs, run
// unchanged against Mailroom (issue 12, "Done means"): trailing and doubled
// slashes (the docs' purge-inbox snippet ends in "/"), the key in the query
// and in the JSON body, a form-encoded PUT and curl's JSON labelled as a form,
// the old community client's routes, a browser's CORS preflight, sending
// through the API and reading it back, and inbox-search's substring match.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { api, makeUser, rawMessage, sendMail, startApiMailroom, storeRaw, type TestMailroom } from './_helpers.js';

let m: TestMailroom;
let key: string;
let otherKey: string;
const INBOX = 'examples.box@mailroom.test';

test.before(async () => {
  m = await startApiMailroom();
  key = (await makeUser(m.store, 'example')).key;
  otherKey = (await makeUser(m.store, 'someoneelse')).key;
});

test.after(async () => {
  await m?.cleanup();
});

test('trailing and doubled slashes reach the same route, with no redirect', async () => {
  await storeRaw(m.store, rawMessage({ to: INBOX, subject: 'slash test', text: 'x' }), INBOX);
  const plain = await api(m, 'GET', `/api/addresses/${INBOX}/messages`, { key });
  assert.is(plain.status, 200);
  for (const path of [`/api/addresses/${INBOX}/messages/`, `/api//addresses/${INBOX}//messages`, `/api/addresses/${INBOX}/messages//`, `//api/addresses/${INBOX}/messages`]) {
    const res = await api(m, 'GET', path, { key });
    assert.is(res.status, 200, path);
    assert.equal(res.json, plain.json, path);
    assert.is(res.headers.get('location'), null, path);
  }
  assert.is((await api(m, 'GET', '/api/me/', { key })).json._id, 'example');
  // Nothing about the normalization sends anyone elsewhere.
  const odd = await api(m, 'GET', '/api//evil.example.org/', { key });
  assert.is(odd.status, 404);
  assert.is(odd.headers.get('location'), null);
  // The query string survives (the key in it is still read).
  assert.is((await api(m, 'GET', `/api/me/?_mailsacKey=${key}`)).json._id, 'example');
});

test("the docs' purge inbox (DELETE .../messages/ with a trailing slash) empties a reserved inbox", async () => {
  assert.is((await api(m, 'POST', `/api/addresses/${INBOX}`, { key })).status, 200);
  await storeRaw(m.store, rawMessage({ to: INBOX, subject: 'to purge', text: 'x' }), INBOX);
  const res = await api(m, 'DELETE', `/api/addresses/${INBOX}/messages/`, { key });
  assert.is(res.status, 204);
  assert.is((await api(m, 'GET', `/api/addresses/${INBOX}/message-count`, { key })).json.count, 0);
});

test('the key in the query string and in the JSON body', async () => {
  const q = await api(m, 'GET', `/api/addresses/${INBOX}/messages?_mailsacKey=${key}`);
  assert.is(q.status, 200);
  const reserve = await api(m, 'POST', '/api/addresses/body.key@mailroom.test', { body: { _mailsacKey: key, info: 'reserved with a body key' } });
  assert.is(reserve.status, 200);
  assert.is(reserve.json.owner, 'example');
  assert.is(reserve.json.info, 'reserved with a body key');
});

test('form-encoded PUT, and JSON sent the way curl -d labels it', async () => {
  const form = await api(m, 'PUT', `/api/private-address-forwarding/${INBOX}?_mailsacKey=${key}`, {
    body: 'enablews=true&info=from+a+form&forward=elsewhere%40mailroom.test',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  assert.is(form.status, 200, form.text);
  assert.is(form.json.enablews, true);
  assert.is(form.json.info, 'from a form');
  assert.is(form.json.forward, 'elsewhere@mailroom.test');
  // websocket.rst: curl -H 'Mailsac-Key: …' -X PUT …/private-address-forwarding/… -d '{"enablews": false}'
  const curlJson = await api(m, 'PUT', `/api/private-address-forwarding/${INBOX}`, { key, body: '{"enablews": false}', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.is(curlJson.status, 200);
  assert.is(curlJson.json.enablews, false);
});

test("the old community client's routes", async () => {
  const { id } = await storeRaw(m.store, rawMessage({ to: INBOX, subject: 'legacy', text: 'x' }), INBOX);
  // getMessageHeaders: GET /headers/{email}/{messageId}
  const headers = await api(m, 'GET', `/api/headers/${INBOX}/${id}`, { key });
  assert.is(headers.status, 200);
  assert.equal(headers.json.subject, ['legacy']);
  // setMessageLabels: PUT /addresses/{email}/messages/{id}/labels {labels: [...]} replaces them.
  let labels = await api(m, 'PUT', `/api/addresses/${INBOX}/messages/${id}/labels`, { key, body: { labels: ['alpha', 'beta'] } });
  assert.equal(labels.json, { _id: id, labels: ['alpha', 'beta'] });
  labels = await api(m, 'PUT', `/api/addresses/${INBOX}/messages/${id}/labels`, { key, body: { labels: ['beta', 'gamma'] } });
  assert.equal(labels.json.labels, ['beta', 'gamma']);
  assert.equal((await api(m, 'GET', `/api/addresses/${INBOX}/messages/${id}`, { key })).json.labels, ['beta', 'gamma']);
  assert.is((await api(m, 'PUT', `/api/addresses/${INBOX}/messages/${id}/labels`, { key, body: { labels: 'alpha' } })).status, 400);
  // Someone else's key cannot relabel a private inbox's mail.
  assert.is((await api(m, 'PUT', `/api/addresses/${INBOX}/messages/${id}/labels`, { key: otherKey, body: { labels: [] } })).status, 403);
});

test('CORS: a preflight is answered; keyed answers are readable cross-origin, keyless ones are not', async () => {
  const pre = await fetch(`${m.http}/api/addresses/${INBOX}/messages/`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://app.example.org', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'mailsac-key' },
  });
  assert.is(pre.status, 204);
  assert.is(pre.headers.get('access-control-allow-origin'), '*');
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Mailsac-Key/i);
  assert.match(pre.headers.get('access-control-allow-methods') ?? '', /DELETE/);
  assert.is(pre.headers.get('access-control-allow-credentials'), null);
  const keyed = await fetch(`${m.http}/api/addresses/${INBOX}/messages`, { headers: { Origin: 'https://app.example.org', 'Mailsac-Key': key } });
  assert.is(keyed.status, 200);
  assert.is(keyed.headers.get('access-control-allow-origin'), '*');
  assert.is(keyed.headers.get('access-control-allow-credentials'), null);
  const keyless = await fetch(`${m.http}/api/addresses/public.one@mailroom.test/messages`, { headers: { Origin: 'https://evil.example.org' } });
  assert.is(keyless.status, 200);
  assert.is(keyless.headers.get('access-control-allow-origin'), null, 'a keyless read is not handed to a foreign page');
  // Pages are not part of it.
  const page = await fetch(`${m.http}/`, { method: 'OPTIONS', headers: { Origin: 'https://app.example.org', 'Access-Control-Request-Method': 'GET' } });
  assert.is(page.headers.get('access-control-allow-origin'), null);
});

test('send through the API, read it back; a foreign recipient is a 400 and nothing is stored', async () => {
  const to = 'api.sent@mailroom.test';
  const sent = await api(m, 'POST', '/api/outgoing-messages', { key, body: { to, from: 'app@example.org', subject: 'Your code is 123456 ✓', text: 'code 123456', html: '<p>code <b>123456</b></p>' } });
  assert.is(sent.status, 200, sent.text);
  assert.is(sent.json.messages[0].inbox, to);
  // Stored before the answer, parsed just after (as over SMTP); a read by id waits a moment, a busy machine may need longer.
  await m.parseQueue.idle();
  const got = await api(m, 'GET', `/api/addresses/${to}/messages/${sent.json._id}`, { key });
  assert.is(got.status, 200);
  assert.is(got.json.subject, 'Your code is 123456 ✓');
  assert.equal(got.json.from, [{ address: 'app@example.org', name: '' }]);
  const text = await api(m, 'GET', `/api/text/${to}/${sent.json._id}`, { key });
  assert.match(text.text, 'code 123456');
  const raw = await api(m, 'GET', `/api/raw/${to}/${sent.json._id}`, { key });
  assert.match(raw.text, 'X-Mailroom-Sent-By-Account: example');

  const before = m.store.queries.count({ kind: 'all' });
  const foreign = await api(m, 'POST', '/api/outgoing-messages', { key, body: { to: [to, 'mycustomer@gmail.com'], from: 'app@example.org', subject: 'x', text: 'y' } });
  assert.is(foreign.status, 400);
  assert.match(foreign.json.message, /does not send mail out/);
  assert.is(m.store.queries.count({ kind: 'all' }), before, 'nothing stored, not even for the local recipient');
  // No key, no sending; no header injection through subject or from.
  assert.is((await api(m, 'POST', '/api/outgoing-messages', { body: { to, subject: 'x', text: 'y' } })).status, 401);
  assert.is((await api(m, 'POST', '/api/outgoing-messages', { key, body: { to, subject: 'x\r\nBcc: victim@example.org', text: 'y' } })).status, 400);
  // A raw message overrides the other fields, as on Mailsac.
  const rawSent = await api(m, 'POST', '/api/outgoing-messages', { key, body: { to, raw: 'From: raw@example.org\nTo: api.sent@mailroom.test\nSubject: raw one\n\nraw body\n' } });
  assert.is(rawSent.status, 200);
  await m.parseQueue.idle();
  assert.is((await api(m, 'GET', `/api/addresses/${to}/messages/${rawSent.json._id}`, { key })).json.subject, 'raw one');
  assert.match((await api(m, 'GET', `/api/raw/${to}/${rawSent.json._id}`, { key })).text, /^Received: [^]*?\r\nX-Mailroom-Sent-By-Account: example\r\nFrom: raw@example.org/, 'our trace field, then the account, then the raw message');
});

test('inbox-search matches a substring of to, from or subject, any of them', async () => {
  const owner = 'search.owner@mailroom.test';
  assert.is((await api(m, 'POST', `/api/addresses/${owner}`, { key })).status, 200);
  await sendMail(m, { from: 'Accounts Dept <billing@shop.example>', to: owner, subject: 'Invoice #2024-17 ready', text: 'the body says zebra' });
  await sendMail(m, { from: 'news@letters.example', to: owner, subject: 'Weekly digest', text: 'nothing' });
  const search = async (q: string) => (await api(m, 'GET', `/api/inbox-search?query=${encodeURIComponent(q)}`, { key })).json.messages.map((x: any) => x.subject).sort();
  assert.equal(await search('invoice #2024'), ['Invoice #2024-17 ready'], 'subject substring, case-insensitive, punctuation as text');
  assert.equal(await search('shop.exam'), ['Invoice #2024-17 ready'], 'from address substring');
  assert.equal(await search('search.owner@'), ['Invoice #2024-17 ready', 'Weekly digest'], 'to address substring');
  assert.equal(await search('zebra'), [], 'bodies are not searched (Mailsac)');
  assert.equal(await search('Accounts Dept'), [], 'display names are not addresses');
  assert.equal(await search('address'), [], "the JSON's own keys are not text");
  assert.equal(await search('%'), []);
  const inbox = await api(m, 'GET', `/api/inbox-search?inbox=${owner}&query=weekly`, { key });
  assert.equal(inbox.json.messages.map((x: any) => x.subject), ['Weekly digest']);
});

test('Mailsac shapes: 401 for an address owned elsewhere, /me integers, read null, via an IP', async () => {
  assert.is((await api(m, 'GET', `/api/addresses/${INBOX}`, { key: otherKey })).status, 401);
  assert.is((await api(m, 'POST', `/api/addresses/${INBOX}`, { key: otherKey })).status, 401);
  assert.is((await api(m, 'DELETE', `/api/addresses/${INBOX}`, { key: otherKey })).status, 401);
  const me = (await api(m, 'GET', '/api/me', { key })).json;
  for (const f of ['apiAccess', 'manyKeys', 'privateAddressCredits', 'messageLimit']) assert.ok(Number.isInteger(me[f]), f);
  const list = (await api(m, 'GET', `/api/addresses/${INBOX}/messages`, { key })).json;
  assert.is(list[0].read, null);
  assert.match(list[0].via, /^[0-9a-f.:]+$/i);
  const d = (await api(m, 'GET', '/api/domains', { key })).json[0];
  for (const f of ['_id', 'created', 'updated', 'enablews', 'hosted', 'isDefault', 'isPrivate', 'lastVerificationErrors', 'owner', 'verificationTxt', 'verified', 'verifiedMx']) assert.ok(f in d, f);
});

test.run();
