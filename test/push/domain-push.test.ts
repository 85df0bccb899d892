// Push settings of an account's own domain (issue 11 "webhook on an address
// (and on a domain)", "the address/domain enablews setting"; issue 12 "a
// catch-all address with forwarding and push settings"), end to end: a domain
// verified through a stub resolver, real SMTP into it, a real HTTP receiver on
// 127.0.0.1 for the webhook and the Slack post, and a real `ws` client.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startApiMailroom, makeUser, sendMail, api, type TestMailroom } from '../api/_helpers.js';
import { connectWs, startReceiver, until, type Receiver } from './_helpers.js';
import { verifySignature } from '../../src/push/signature.js';
import nodemailer from 'nodemailer';

const D = 'push-owned.example';
const CATCH_ALL = encodeURIComponent(`*@${D}`);
const txt = new Map<string, string[][]>();
let m: TestMailroom;
let r: Receiver;
let owner: { id: number; key: string };
let other: { id: number; key: string };

test.before(async () => {
  r = await startReceiver();
  m = await startApiMailroom({ webhooks: { allowPrivateNetworks: true, allowedPorts: [r.port], timeoutMs: 2000 } } as never, {
    resolveTxt: async (name) => txt.get(name) ?? [],
    capture: true,
  });
  owner = await makeUser(m.store, 'domainowner');
  other = await makeUser(m.store, 'someoneelse');
  const added = await api(m, 'POST', `/api/domains/${D}`, { key: owner.key });
  txt.set(D, [[added.json.domain.verificationTxt]]);
  assert.is((await api(m, 'POST', `/api/domains/${D}/verify`, { key: owner.key })).json.verified, true);
});

test.after(async () => {
  await m?.cleanup();
  await r?.close();
});

/** Every queued delivery settled: what the receiver has is all it will get for the mail sent so far. */
const settled = () => until(() => m.store.webhooks.pendingCount() === 0, 20_000, 'the webhook queue to drain');
const subjectsAt = (path: string) => r.requests.filter((q) => q.url === path).map((q) => JSON.parse(q.body));
const inboxSubjects = async (inbox: string) =>
  ((await api(m, 'GET', `/api/addresses/${encodeURIComponent(inbox)}/messages`, { key: owner.key })).json as any[]).map((x) => x.subject).sort();

test('an owner reserves any local part of its verified domain; nobody else can, and *@domain is the catch-all', async () => {
  const mine = await api(m, 'POST', `/api/addresses/sales@${D}`, { key: owner.key });
  assert.is(mine.status, 200, mine.text);
  assert.is(mine.json.owner, 'domainowner');
  assert.is((await api(m, 'GET', `/api/addresses/info@${D}/availability`, { key: owner.key })).json.available, true);
  const theirs = await api(m, 'GET', `/api/addresses/info@${D}/availability`, { key: other.key });
  assert.equal([theirs.json.available, theirs.json.owned], [false, true]);
  assert.is((await api(m, 'POST', `/api/addresses/info@${D}`, { key: other.key })).status, 401, "another account's domain");
  assert.is((await api(m, 'POST', `/api/addresses/postmaster@${D}`, { key: owner.key })).status, 400, 'reserved local parts stay reserved');
  const star = await api(m, 'POST', `/api/addresses/${CATCH_ALL}`, { key: owner.key });
  assert.is(star.status, 400);
  assert.match(star.json.message ?? star.text, /catch-all/);
  // An unverified domain is still foreign, to its owner too.
  await api(m, 'POST', '/api/domains/not-yet.example', { key: owner.key });
  assert.is((await api(m, 'POST', '/api/addresses/a@not-yet.example', { key: owner.key })).status, 400);
});

test('domain settings: set, checked, echoed by the domain and its catch-all address', async () => {
  const bad = await api(m, 'PUT', `/api/domains/${D}`, { key: owner.key, body: { forward: 'someone@gmail.com' } });
  assert.is(bad.status, 400);
  assert.match(bad.text, /never sends mail out/);
  assert.is((await api(m, 'PUT', `/api/domains/${D}`, { key: owner.key, body: { webhook: 'ftp://x' } })).status, 400);
  assert.is((await api(m, 'PUT', `/api/domains/${D}`, { key: other.key, body: { enablews: true } })).status, 404, 'not theirs');
  assert.is((await api(m, 'PUT', `/api/addresses/${CATCH_ALL}`, { key: other.key, body: { enablews: true } })).status, 401);

  const set = await api(m, 'PUT', `/api/domains/${D}`, {
    key: owner.key,
    body: { webhook: `${r.url}/hook`, webhookSlack: `${r.url}/slack`, webhookSlackToFrom: true, forward: 'collect@mailroom.test' },
  });
  assert.is(set.status, 200, set.text);
  assert.is(set.json.webhook, `${r.url}/hook`);
  assert.is(set.json.webhookSlack, `${r.url}/slack`);
  assert.is(set.json.webhookSlackToFrom, true);
  assert.is(set.json.forward, 'collect@mailroom.test');
  assert.is(set.json.enablews, false, 'left out: unchanged (off by default, as Mailsac)');
  const star = await api(m, 'GET', `/api/addresses/${CATCH_ALL}`, { key: owner.key });
  assert.is(star.status, 200);
  assert.equal([star.json._id, star.json.catchAll, star.json.webhook, star.json.forward], [`*@${D}`, D, `${r.url}/hook`, 'collect@mailroom.test']);
  // The catch-all address's route sets the same fields.
  const ws = await api(m, 'PUT', `/api/private-address-forwarding/${CATCH_ALL}`, { key: owner.key, body: { enablews: true } });
  assert.is(ws.status, 200, ws.text);
  assert.is((await api(m, 'GET', `/api/domains/${D}`, { key: owner.key })).json.domain.enablews, true);
  // Config domains have no settings of their own.
  assert.is((await api(m, 'PUT', '/api/domains/mailroom.test', { key: owner.key, body: { enablews: true } })).status, 404);
});

test('mail to any address of the domain: webhook and Slack once per message, forwarded once, address settings too', async () => {
  // sales@ has its own webhook at the domain's URL and its own forward to the same inbox: still once each.
  await api(m, 'PUT', `/api/addresses/sales@${D}`, { key: owner.key, body: { webhook: `${r.url}/hook`, forward: 'collect@mailroom.test' } });
  await sendMail(m, { to: `sales@${D}`, subject: 'to sales' });
  await sendMail(m, { to: `unreserved@${D}`, subject: 'to unreserved' });
  await settled();
  const hooks = subjectsAt('/hook');
  assert.equal(hooks.map((b) => b.subject).sort(), ['to sales', 'to unreserved'], 'one POST per message, none doubled');
  assert.equal(hooks.map((b) => b.inbox).sort(), [`sales@${D}`, `unreserved@${D}`]);
  // Signed with the domain owner's secret.
  const secret = (await api(m, 'GET', '/api/me/webhook-secret', { key: owner.key })).json.secret;
  const req = r.requests.find((q) => q.url === '/hook')!;
  assert.ok(verifySignature(secret, String(req.headers['mailroom-signature']), req.body));
  const slack = subjectsAt('/slack').map((b) => b.text as string);
  assert.is(slack.length, 2);
  assert.ok(slack.every((t) => /\nFrom: .*\nTo: /.test(t)), 'webhookSlackToFrom: To and From lines');
  assert.equal(await inboxSubjects('collect@mailroom.test'), ['to sales', 'to unreserved'], 'forwarded once each');
  // The owner sees the domain's deliveries under its catch-all address.
  const act = await api(m, 'GET', `/api/addresses/${CATCH_ALL}/webhook-activity`, { key: owner.key });
  assert.is(act.status, 200);
  assert.ok(act.json.some((x: any) => x.url === `${r.url}/slack` && x.status === 200));
  assert.equal(((await api(m, 'GET', `/api/addresses/${CATCH_ALL}/webhook-activity`, { key: other.key })).json as any[]).length, 0);
});

test("captured mail: the domain's settings push only what the domain's owner captured", async () => {
  const capture = (user: string, key: string, subject: string) => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: m.captureAddress!.port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass: key } });
    return t.sendMail({ from: user, to: `captured@${D}`, subject, text: 'x' }).finally(() => t.close());
  };
  await capture('someoneelse', other.key, "another account's capture");
  await capture('domainowner', owner.key, "the owner's capture");
  await m.parseQueue.idle();
  await settled();
  const hooked = subjectsAt('/hook').map((b) => b.subject);
  assert.ok(hooked.includes("the owner's capture"));
  assert.not.ok(hooked.includes("another account's capture"), "another account's captured mail is never sent to the domain's webhook");
  assert.not.ok(subjectsAt('/slack').some((b) => /another account/.test(b.text)));
});

test('catch-all on: the catch-all copy carries the domain settings, still once per message however many recipients', async () => {
  assert.is((await api(m, 'PUT', `/api/domains/${D}/catch-all/true`, { key: owner.key })).status, 200);
  const before = r.requests.length;
  await sendMail(m, { to: [`first@${D}`, `second@${D}`], subject: 'two recipients' });
  await settled();
  const hooks = subjectsAt('/hook').filter((b) => b.subject === 'two recipients');
  assert.is(hooks.length, 1);
  assert.is(hooks[0].inbox, `*@${D}`, 'sent as the catch-all address');
  assert.is(subjectsAt('/slack').filter((b) => /two recipients/.test(b.text)).length, 1);
  assert.is(r.requests.length - before, 2);
  assert.equal(await inboxSubjects('collect@mailroom.test'), ['to sales', 'to unreserved', 'two recipients']);

  // Off through the catch-all address's route: no more domain posts.
  const off = await api(m, 'PUT', `/api/addresses/${CATCH_ALL}`, { key: owner.key, body: { webhook: '', webhookSlack: null, forward: '' } });
  assert.equal([off.json.webhook, off.json.webhookSlack, off.json.forward], [null, null, null]);
  await sendMail(m, { to: `third@${D}`, subject: 'after off' });
  await settled();
  assert.is(r.requests.length - before, 2, 'nothing more sent');
  assert.equal(await inboxSubjects('collect@mailroom.test'), ['to sales', 'to unreserved', 'two recipients']);
  await api(m, 'PUT', `/api/domains/${D}/catch-all/false`, { key: owner.key });
});

test("websocket: addresses=domain follows the domain's enablews; only the owner may watch it", async () => {
  const url = (key: string, addresses: string) => `ws://127.0.0.1:${m.httpAddress.port}/incoming-messages?key=${key}&addresses=${addresses}`;
  m.store.addresses.reserve('sentinel@mailroom.test', owner.id, { enablews: true });
  await api(m, 'PUT', `/api/domains/${D}`, { key: owner.key, body: { enablews: false } });
  const refused = connectWs(url(owner.key, D));
  const no = await refused.next();
  assert.is(no.status, 403);
  assert.match(no.error, /enablews/);
  await refused.closed;

  await api(m, 'PUT', `/api/domains/${D}`, { key: owner.key, body: { enablews: true } });
  const theirs = connectWs(url(other.key, D));
  assert.is((await theirs.next()).status, 403, "another account's domain");
  await theirs.closed;

  const unverified = connectWs(url(owner.key, 'not-yet.example'));
  assert.equal(await unverified.next(), { status: 400, error: 'Mailroom does not receive mail for not-yet.example' });
  await unverified.closed;

  const c = connectWs(url(owner.key, `${D},sentinel@mailroom.test`));
  assert.equal(await c.next(), { status: 200, msg: 'Listening', addresses: ['sentinel@mailroom.test'], domains: [D] });
  const addr = connectWs(url(owner.key, `anyone@${D}`));
  assert.is((await addr.next()).status, 200, 'an address of the domain: the domain enablews covers it');

  await sendMail(m, { to: `ws-one@${D}`, subject: 'pushed' });
  const f = await c.next((x) => x.subject === 'pushed');
  assert.is(f.inbox, `ws-one@${D}`);
  assert.is(f.email.subject, 'pushed');
  await sendMail(m, { to: `anyone@${D}`, subject: 'to anyone' });
  assert.is((await addr.next((x) => x.subject !== undefined)).subject, 'to anyone', 'the address socket gets only its own mail');

  // Off: the domain's mail stops; the sentinel, sent after, proves the socket still works.
  await api(m, 'PUT', `/api/domains/${D}`, { key: owner.key, body: { enablews: false } });
  await sendMail(m, { to: `ws-two@${D}`, subject: 'not pushed' });
  await sendMail(m, { to: 'sentinel@mailroom.test', subject: 'sentinel' });
  await c.next((x) => x.subject === 'sentinel');
  assert.not.ok(c.frames.some((x) => x.subject === 'not pushed'));
  c.ws.close();
  addr.ws.close();
});

test.run();
