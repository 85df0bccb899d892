// Webhooks (issue 11) against a real HTTP receiver on 127.0.0.1: Mailsac's
// webhook JSON, a signature the receiver can verify, the owner's activity
// log, timeouts, redirects not followed, give-up, and the SSRF rules end to end.
import { withDatabaseFile } from '../helpers/database-file.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startApiMailroom, makeUser, sendMail, api } from '../api/_helpers.js';
import { startReceiver, until } from './_helpers.js';
import { verifySignature } from '../../src/push/signature.js';
import { retryDelayMs } from '../../src/push/webhook-queue.js';

async function setup(receiverPort: number, webhooks: Record<string, unknown> = {}) {
  const m = await startApiMailroom({ webhooks: { allowPrivateNetworks: true, allowedPorts: [receiverPort], timeoutMs: 2000, ...webhooks } } as never);
  const u = await makeUser(m.store, 'hooked');
  return { m, u };
}

test('a ready message is POSTed as Mailsac webhook JSON, signed; the owner sees the attempt', async () => {
  const r = await startReceiver();
  const { m, u } = await setup(r.port);
  try {
    await api(m, 'POST', '/api/addresses/hook@mailroom.test', { key: u.key });
    const put = await api(m, 'PUT', '/api/private-address-forwarding/hook@mailroom.test', { key: u.key, body: { webhook: `${r.url}/incoming?x=1` } });
    assert.is(put.status, 200, put.text);
    const got = r.nextRequest();
    await sendMail(m, { to: 'hook@mailroom.test', subject: 'Webhook <one>', text: 'the text', html: '<p>the html</p>' });
    const req = await got;
    assert.is(req.method, 'POST');
    assert.is(req.url, '/incoming?x=1');
    assert.match(String(req.headers['content-type']), /application\/json/);
    const body = JSON.parse(req.body);
    for (const k of ['_id', 'from', 'to', 'subject', 'inbox', 'originalInbox', 'domain', 'received', 'raw', 'text', 'html', 'body', 'headers', 'ip', 'via', 'size']) {
      assert.ok(k in body, `field ${k}`);
    }
    assert.is(body.subject, 'Webhook <one>');
    assert.match(body.text, /the text/);
    assert.match(body.body, /<p>the html<\/p>/);
    assert.equal(body.headers.subject, ['Webhook <one>']);
    // The receiver verifies with the secret the account page and the API show.
    const secret = (await api(m, 'GET', '/api/me/webhook-secret', { key: u.key })).json.secret;
    assert.match(secret, /^whsec_/);
    const sig = String(req.headers['mailroom-signature']);
    assert.match(sig, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.ok(verifySignature(secret, sig, req.body));
    assert.not.ok(verifySignature(secret, sig, req.body.replace('the text', 'other text')), 'a changed body fails');
    assert.not.ok(verifySignature(secret, sig, req.body, 300, Date.now() + 3600_000), 'an old signature is a replay');
    assert.not.ok(verifySignature('whsec_other', sig, req.body));
    assert.ok(req.headers['mailroom-delivery']);

    await until(() => m.push.webhooks.delivered === 1, 15_000, 'the delivery to be recorded');
    const act = await api(m, 'GET', '/api/addresses/hook@mailroom.test/webhook-activity', { key: u.key });
    assert.is(act.status, 200);
    assert.is(act.json.length, 1);
    const line = act.json[0];
    assert.is(line.url, `${r.url}/incoming?x=1`);
    assert.is(line.status, 200);
    assert.is(line.attempt, 1);
    assert.is(line.error, null);
    assert.type(line.latencyMs, 'number');
    assert.ok(!Number.isNaN(Date.parse(line.time)));
    // Only the owner (or an admin) sees it.
    const other = await makeUser(m.store, 'nosy');
    // Another account's address: 401, as Mailsac answers for its address routes.
    assert.is((await api(m, 'GET', '/api/addresses/hook@mailroom.test/webhook-activity', { key: other.key })).status, 401);
    assert.equal((await api(m, 'GET', '/api/addresses/unowned@mailroom.test/webhook-activity', { key: other.key })).json, []);
  } finally {
    await m.cleanup();
    await r.close();
  }
});

test('the account page shows the webhook secret', async () => {
  const r = await startReceiver();
  const { m, u } = await setup(r.port);
  try {
    const secret = (await api(m, 'GET', '/api/me/webhook-secret', { key: u.key })).json.secret;
    const res = await fetch(`${m.http}/account`, { headers: { 'Mailsac-Key': u.key } });
    const html = await res.text();
    assert.ok(html.includes(secret), 'secret on the page');
  } finally {
    await m.cleanup();
    await r.close();
  }
});

test('default config (webhooks.allowPrivateNetworks false): a webhook to 127.0.0.1 is refused and never reaches the receiver', async () => {
  const r = await startReceiver();
  const { m, u } = await setup(r.port, { allowPrivateNetworks: false });
  try {
    m.store.addresses.reserve('inside@mailroom.test', u.id, { webhook: `${r.url}/x` });
    m.store.addresses.reserve('mapped@mailroom.test', u.id, { webhook: `http://[::ffff:127.0.0.1]:${r.port}/x` });
    m.store.addresses.reserve('named@mailroom.test', u.id, { webhook: `http://localhost:${r.port}/x` });
    await sendMail(m, { to: ['inside@mailroom.test', 'mapped@mailroom.test', 'named@mailroom.test'], subject: 'try to get in' });
    await until(() => m.push.webhooks.failedAttempts >= 3, 15_000, 'three refused attempts');
    for (const a of ['inside', 'mapped', 'named']) {
      const act = (await api(m, 'GET', `/api/addresses/${a}@mailroom.test/webhook-activity`, { key: u.key })).json;
      assert.is(act.length, 1, a);
      assert.is(act[0].status, null);
      assert.match(act[0].error, /^refused: .*loopback/, a);
    }
    assert.is(r.requests.length, 0);
  } finally {
    await m.cleanup();
    await r.close();
  }
});

test('redirects are not followed; a 3xx is a failed attempt with its status logged', async () => {
  const inside = await startReceiver();
  const r = await startReceiver();
  r.answer = (_q, res) => {
    res.writeHead(302, { Location: `${inside.url}/metadata` });
    res.end();
  };
  const { m, u } = await setup(r.port);
  try {
    m.store.addresses.reserve('redir@mailroom.test', u.id, { webhook: `${r.url}/hook` });
    await sendMail(m, { to: 'redir@mailroom.test', subject: 'redirect me' });
    await until(() => m.push.webhooks.failedAttempts >= 1, 15_000, 'the attempt');
    const act = (await api(m, 'GET', '/api/addresses/redir@mailroom.test/webhook-activity', { key: u.key })).json;
    assert.is(act[0].status, 302);
    assert.match(act[0].error, /redirects are not followed/);
    assert.is(inside.requests.length, 0);
    // Still pending: retried later with backoff.
    const row = withDatabaseFile(m.store, (db) => db.prepare(`SELECT state, next_at FROM webhook_deliveries`).get()) as { state: string; next_at: number };
    assert.is(row.state, 'pending');
    assert.ok(row.next_at > Date.now() + 5000);
  } finally {
    await m.cleanup();
    await r.close();
    await inside.close();
  }
});

test('webhooks.timeoutMs: a receiver that never answers is cut off at the deadline', async () => {
  const r = await startReceiver();
  r.answer = () => {}; // never answers
  const { m, u } = await setup(r.port, { timeoutMs: 300 });
  try {
    m.store.addresses.reserve('slowhook@mailroom.test', u.id, { webhook: `${r.url}/hook` });
    await sendMail(m, { to: 'slowhook@mailroom.test', subject: 'hang' });
    await until(() => m.push.webhooks.failedAttempts >= 1, 15_000, 'the timed-out attempt');
    const act = (await api(m, 'GET', '/api/addresses/slowhook@mailroom.test/webhook-activity', { key: u.key })).json;
    assert.match(act[0].error, /timed out after 300 ms/);
    // libuv measures timers from the loop's cached clock, which can lag Date.now() by a
    // millisecond or so, so the cut-off shows as 299 ms now and then (seen once in CI).
    assert.ok(act[0].latencyMs >= 295 && act[0].latencyMs < 5000, String(act[0].latencyMs));
  } finally {
    await m.cleanup();
    await r.close();
  }
});

test('webhooks.retryHours: 0 gives up after the first failure; the backoff doubles up to an hour', async () => {
  assert.is(retryDelayMs(1, () => 0), 10_000);
  assert.is(retryDelayMs(2, () => 0), 20_000);
  assert.is(retryDelayMs(5, () => 0), 160_000);
  assert.is(retryDelayMs(30, () => 0), 3600_000);
  assert.is(retryDelayMs(30, () => 1), 3960_000);
  const r = await startReceiver();
  r.answer = (_q, res) => {
    res.statusCode = 500;
    res.end('x'.repeat(100_000)); // read only to the cap
  };
  const { m, u } = await setup(r.port, { retryHours: 0 });
  try {
    m.store.addresses.reserve('giveup@mailroom.test', u.id, { webhook: `${r.url}/hook` });
    await sendMail(m, { to: 'giveup@mailroom.test', subject: 'fail' });
    await until(() => m.push.webhooks.failedAttempts >= 1, 15_000, 'the failed attempt');
    const act = (await api(m, 'GET', '/api/addresses/giveup@mailroom.test/webhook-activity', { key: u.key })).json;
    assert.is(act[0].status, 500);
    assert.match(act[0].error, /HTTP 500; giving up after 1 attempts/);
    const row = withDatabaseFile(m.store, (db) => db.prepare(`SELECT state FROM webhook_deliveries`).get()) as { state: string };
    assert.is(row.state, 'failed');
  } finally {
    await m.cleanup();
    await r.close();
  }
});

test('webhooks.allowedPorts: a port not in the list is refused before any connection', async () => {
  const r = await startReceiver();
  const { m, u } = await setup(r.port, { allowedPorts: [443] });
  try {
    m.store.addresses.reserve('port@mailroom.test', u.id, { webhook: `${r.url}/hook` });
    await sendMail(m, { to: 'port@mailroom.test', subject: 'port' });
    await until(() => m.push.webhooks.failedAttempts >= 1, 15_000, 'the refused attempt');
    const act = (await api(m, 'GET', '/api/addresses/port@mailroom.test/webhook-activity', { key: u.key })).json;
    assert.match(act[0].error, new RegExp(`port ${r.port} is not allowed`));
    assert.is(r.requests.length, 0);
  } finally {
    await m.cleanup();
    await r.close();
  }
});

test('webhookSlack: a Slack incoming-webhook post with subject, and From/To only with webhookSlackToFrom', async () => {
  const r = await startReceiver();
  const { m, u } = await setup(r.port);
  try {
    m.store.addresses.reserve('slack@mailroom.test', u.id, { webhookSlack: `${r.url}/slack`, webhookSlackToFrom: true });
    const got = r.nextRequest();
    await sendMail(m, { to: 'slack@mailroom.test', from: 'Ann <ann@example.org>', subject: 'Hello <@channel> & all' });
    const req = await got;
    assert.is(req.url, '/slack');
    const body = JSON.parse(req.body);
    assert.match(body.text, /Hello &lt;@channel&gt; &amp; all/);
    assert.match(body.text, /From: Ann &lt;ann@example.org&gt;/);
    assert.is(req.headers['mailroom-signature'], undefined);
  } finally {
    await m.cleanup();
    await r.close();
  }
});

test.run();
