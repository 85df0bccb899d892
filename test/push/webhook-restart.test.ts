// At least once across kill -9 (issue 11): a webhook attempt in flight when
// the server is killed is delivered after the restart, signed, with the same
// delivery id, so the receiver can tell it is the same delivery.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { spawnMailroom } from '../helpers/child-process.js';
import { tempDir } from '../helpers/mailroom.js';
import { startReceiver, until } from './_helpers.js';
import { verifySignature } from '../../src/push/signature.js';
import { openStore } from '../../src/store/index.js';

const ADMIN_KEY = 'restart-admin-key-0123456789abcdef';

test('a webhook whose delivery was cut by kill -9 is delivered after the restart, with a verifiable signature', async () => {
  const dataDir = tempDir();
  const r = await startReceiver();
  r.answer = () => {}; // the first attempt hangs: the server is killed while it waits
  const env = {
    MAILROOM_ADMIN_KEY: ADMIN_KEY,
    MAILROOM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    MAILROOM_WEBHOOKS_ALLOWED_PORTS: String(r.port),
    MAILROOM_WEBHOOKS_TIMEOUT_MS: '1500',
  };
  let proc = await spawnMailroom(dataDir, env);
  try {
    const api = (port: number, method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}/api${path}`, { method, headers: { 'Mailsac-Key': ADMIN_KEY, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    assert.is((await api(proc.httpPort, 'POST', '/addresses/durable@mailroom.test')).status, 200);
    assert.is((await api(proc.httpPort, 'PUT', '/private-address-forwarding/durable@mailroom.test', { webhook: `${r.url}/hook` })).status, 200);

    const first = r.nextRequest();
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: proc.smtpPort, secure: false, ignoreTLS: true });
    await t.sendMail({ from: 'a@example.org', to: 'durable@mailroom.test', subject: 'survive kill -9', text: 'still here' });
    t.close();
    const cut = await first;
    proc.child.kill('SIGKILL');
    await proc.exited;

    r.answer = (_q, res) => res.end('ok');
    const second = r.nextRequest(20_000);
    proc = await spawnMailroom(dataDir, env);
    const again = await second;
    assert.is(again.headers['mailroom-delivery'], cut.headers['mailroom-delivery']);
    assert.is(again.headers['mailroom-attempt'], '2');
    const body = JSON.parse(again.body);
    assert.is(body.subject, 'survive kill -9');
    assert.match(body.text, /still here/);
    const secret = ((await (await api(proc.httpPort, 'GET', '/me/webhook-secret')).json()) as { secret: string }).secret;
    assert.ok(verifySignature(secret, String(again.headers['mailroom-signature']), again.body));

    // Recorded as delivered: no third request.
    await new Promise((res) => setTimeout(res, 500));
    const activity = (await (await api(proc.httpPort, 'GET', '/addresses/durable@mailroom.test/webhook-activity')).json()) as Array<{ status: number; attempt: number }>;
    assert.equal(activity.map((a) => [a.attempt, a.status]), [[2, 200]]);
    assert.is(r.requests.length, 2);
  } finally {
    proc.child.kill('SIGTERM');
    await proc.exited;
    await r.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('kill -9 once the message is ready and before any delivery: after the restart it is delivered exactly once, signed', async () => {
  const dataDir = tempDir();
  const r = await startReceiver();
  // The first run refuses loopback targets (the default), so no attempt can
  // reach the receiver before the kill: the webhook lives only in the queue
  // row committed with the message (store/webhooks.ts enqueueForReady).
  const held = { MAILROOM_ADMIN_KEY: ADMIN_KEY, MAILROOM_WEBHOOKS_ALLOWED_PORTS: String(r.port) };
  const open = { ...held, MAILROOM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' };
  let proc = await spawnMailroom(dataDir, held);
  const api = (port: number, method: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${port}/api${path}`, { method, headers: { 'Mailsac-Key': ADMIN_KEY, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  try {
    assert.is((await api(proc.httpPort, 'POST', '/addresses/held@mailroom.test')).status, 200);
    assert.is((await api(proc.httpPort, 'PUT', '/private-address-forwarding/held@mailroom.test', { webhook: `${r.url}/hook` })).status, 200);
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: proc.smtpPort, secure: false, ignoreTLS: true });
    await t.sendMail({ from: 'a@example.org', to: 'held@mailroom.test', subject: 'ready then killed', text: 'deliver me once' });
    t.close();
    // Killed the moment the message is listed (ready), without waiting for anything else.
    await until(async () => ((await (await api(proc.httpPort, 'GET', '/addresses/held@mailroom.test/messages')).json()) as unknown[]).length === 1, 10_000, 'the message to be ready');
    proc.child.kill('SIGKILL');
    await proc.exited;
    assert.is(r.requests.length, 0);

    const onDisk = openStore(dataDir);
    const queued = onDisk.webhooks.due(Number.MAX_SAFE_INTEGER, 10);
    onDisk.close();
    assert.is(queued.length, 1, 'the delivery was committed with the message');
    assert.is(queued[0]!.state, 'pending');

    // A refused first attempt (if the killed run got to it) is retried 10-11 s later.
    const delivered = r.nextRequest(25_000);
    proc = await spawnMailroom(dataDir, open);
    const got = await delivered;
    assert.is(got.headers['mailroom-delivery'], String(queued[0]!.id));
    const body = JSON.parse(got.body);
    assert.is(body.subject, 'ready then killed');
    assert.match(body.text, /deliver me once/);
    const secret = ((await (await api(proc.httpPort, 'GET', '/me/webhook-secret')).json()) as { secret: string }).secret;
    assert.ok(verifySignature(secret, String(got.headers['mailroom-signature']), got.body));

    await new Promise((res) => setTimeout(res, 1500));
    assert.is(r.requests.length, 1, 'exactly once');
    const activity = (await (await api(proc.httpPort, 'GET', '/addresses/held@mailroom.test/webhook-activity')).json()) as Array<{ status: number | null }>;
    assert.is(activity.filter((a) => a.status === 200).length, 1);
  } finally {
    proc.child.kill('SIGTERM');
    await proc.exited;
    await r.close();
  }
  // The restarted run claimed the row; it did not queue the message a second time.
  const after = openStore(dataDir);
  try {
    assert.is(after.webhooks.due(Number.MAX_SAFE_INTEGER, 10).length, 0);
    assert.equal(after.webhooks.activity('held@mailroom.test').map((a) => a.deliveryId).filter((id, i, all) => all.indexOf(id) === i).length, 1);
  } finally {
    after.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
