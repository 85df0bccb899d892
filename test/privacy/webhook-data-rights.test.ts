// Data rights over webhook records (issues 4 and 11): an export shows the
// account's webhook activity and queued deliveries, and that a signing secret
// exists but never the secret; deleting an address's or an account's data
// deletes its deliveries and activity lines too, down to the bytes on disk.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startApiMailroom, makeUser, sendMail, api, ADMIN_KEY, type TestMailroom } from '../api/_helpers.js';
import { startReceiver, until } from '../push/_helpers.js';
import { unzip } from '../helpers/unzip.js';
import { sqlValue } from '../helpers/database-file.js';

// Only in the webhook URLs: once the account is gone, no byte of the database or its WAL may hold it.
const URL_MARKER = 'hookmarker5521zq';

async function exportManifest(m: TestMailroom, route: string, key: string): Promise<any> {
  const res = await fetch(`${m.http}/api${route}`, { headers: { 'Mailsac-Key': key } });
  assert.is(res.status, 200);
  return JSON.parse(unzip(Buffer.from(await res.arrayBuffer())).get('manifest.json')!.toString('utf8'));
}

const rowsOf = (m: TestMailroom, table: string, column: string, value: unknown) => sqlValue(m.store, `SELECT count(*) FROM ${table} WHERE ${column} = ?`, value);

function fileHolds(m: TestMailroom, needle: string): string[] {
  return ['mailroom.db', 'mailroom.db-wal'].filter((f) => {
    const p = path.join(m.config.storage.dataDir, f);
    return existsSync(p) && readFileSync(p).includes(Buffer.from(needle));
  });
}

test('export lists webhook activity and deliveries (not the secret); deleting an address, then the account, removes them', async () => {
  const r = await startReceiver();
  // /fail answers 500: that delivery stays queued for a retry.
  r.answer = (q, res) => {
    res.statusCode = q.url.includes('/fail') ? 500 : 200;
    res.end('ok');
  };
  const m = await startApiMailroom({ webhooks: { allowPrivateNetworks: true, allowedPorts: [r.port], timeoutMs: 2000 } } as never);
  try {
    const u = await makeUser(m.store, 'hookowner');
    for (const [address, hook] of [['ok.hook@mailroom.test', 'ok'], ['fail.hook@mailroom.test', 'fail']] as const) {
      assert.is((await api(m, 'POST', `/api/addresses/${address}`, { key: u.key })).status, 200);
      const put = await api(m, 'PUT', `/api/private-address-forwarding/${address}`, { key: u.key, body: { webhook: `${r.url}/${hook}/${URL_MARKER}` } });
      assert.is(put.status, 200, put.text);
    }
    await sendMail(m, { to: ['ok.hook@mailroom.test', 'fail.hook@mailroom.test'], subject: 'for the hooks', text: 'hello' });
    await until(() => m.push.webhooks.delivered === 1 && m.push.webhooks.failedAttempts === 1, 15_000, 'one delivery and one failed attempt');
    const secret = (await api(m, 'GET', '/api/me/webhook-secret', { key: u.key })).json.secret as string;
    assert.match(secret, /^whsec_/);

    const account = await exportManifest(m, '/users/hookowner/export', u.key);
    assert.not.ok(JSON.stringify(account).includes(secret), 'never the secret itself');
    assert.is(account.webhooks.signingSecret.exists, true);
    assert.ok(!Number.isNaN(Date.parse(account.webhooks.signingSecret.created)));
    assert.equal(
      account.webhooks.activity.map((a: any) => [a.address, a.status, a.attempt, a.url]).sort(),
      [
        ['fail.hook@mailroom.test', 500, 1, `${r.url}/fail/${URL_MARKER}`],
        ['ok.hook@mailroom.test', 200, 1, `${r.url}/ok/${URL_MARKER}`],
      ],
    );
    assert.equal(account.webhooks.deliveries.map((d: any) => [d.address, d.kind, d.state]).sort(), [
      ['fail.hook@mailroom.test', 'webhook', 'pending'],
      ['ok.hook@mailroom.test', 'webhook', 'delivered'],
    ]);
    // An address's export holds that address's lines only, and no account secret at all.
    const one = await exportManifest(m, '/addresses/ok.hook@mailroom.test/export', u.key);
    assert.equal(one.webhooks.activity.map((a: any) => a.address), ['ok.hook@mailroom.test']);
    assert.equal(one.webhooks.deliveries.map((d: any) => d.address), ['ok.hook@mailroom.test']);
    assert.not.ok('signingSecret' in one.webhooks);

    // Deleting one address's data takes its deliveries and activity, and only those.
    assert.is((await api(m, 'DELETE', '/api/addresses/ok.hook@mailroom.test/data', { key: u.key })).status, 200);
    assert.is(rowsOf(m, 'webhook_deliveries', 'address', 'ok.hook@mailroom.test'), 0);
    assert.is(rowsOf(m, 'webhook_activity', 'address', 'ok.hook@mailroom.test'), 0);
    assert.is(rowsOf(m, 'webhook_deliveries', 'address', 'fail.hook@mailroom.test'), 1);
    assert.is(rowsOf(m, 'webhook_activity', 'address', 'fail.hook@mailroom.test'), 1);
    const after = await exportManifest(m, '/users/hookowner/export', u.key);
    assert.equal(after.webhooks.activity.map((a: any) => a.address), ['fail.hook@mailroom.test']);

    // Deleting the account takes the rest, its secret, and every byte of the URLs.
    assert.is((await api(m, 'DELETE', '/api/users/hookowner/data', { key: ADMIN_KEY })).status, 200);
    assert.is(rowsOf(m, 'webhook_deliveries', 'user_id', u.id), 0);
    assert.is(rowsOf(m, 'webhook_activity', 'user_id', u.id), 0);
    assert.is(rowsOf(m, 'webhook_secrets', 'user_id', u.id), 0);
    assert.is(rowsOf(m, 'webhook_activity', 'address', 'fail.hook@mailroom.test'), 0);
    assert.equal(fileHolds(m, URL_MARKER), []);
    assert.equal(fileHolds(m, secret), []);
  } finally {
    await m.cleanup();
    await r.close();
  }
});

test.run();
