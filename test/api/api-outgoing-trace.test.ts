// POST /api/outgoing-messages (issue 12) stores mail without SMTP, and that
// mail gets its Received: trace field too (RFC 5321 §4.4: every stored
// message has one): "by <our host> with HTTP", the client's address only
// where privacy.storeSenderIp keeps addresses, the one recipient in `for`.
// Checked byte for byte through the raw source route.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startApiMailroom, makeUser, type TestMailroom } from './_helpers.js';

const DATE = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d \\+0000';

async function sendAndReadRaw(m: TestMailroom, key: string, body: Record<string, unknown>, inbox: string): Promise<string> {
  const sent = await fetch(`${m.http}/api/outgoing-messages`, { method: 'POST', headers: { 'Mailsac-Key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.is(sent.status, 200, await sent.clone().text());
  const { _id } = (await sent.json()) as { _id: string };
  await m.parseQueue.idle();
  const raw = await fetch(`${m.http}/api/raw/${inbox}/${_id}`, { headers: { 'Mailsac-Key': key } });
  assert.is(raw.status, 200);
  return Buffer.from(await raw.arrayBuffer()).toString('latin1');
}

test('with privacy.storeSenderIp on: from the client address, by our host with HTTP, for the one recipient; the raw message follows unchanged', async () => {
  const m = await startApiMailroom();
  try {
    const { key } = await makeUser(m.store, 'sender');
    const rawIn = 'From: raw@example.org\r\nTo: one@mailroom.test\r\nSubject: raw trace\r\n\r\nraw body\r\n';
    const raw = await sendAndReadRaw(m, key, { to: 'one@mailroom.test', raw: rawIn }, 'one@mailroom.test');
    const field = new RegExp(`^Received: from \\[127\\.0\\.0\\.1\\] \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby mx\\.mailroom\\.test with HTTP id [0-9a-f]{12}\\r\\n\\tfor <one@mailroom\\.test>; ${DATE}\\r\\n`).exec(raw);
    assert.ok(field, `Received field as expected, got ${JSON.stringify(raw.slice(0, 200))}`);
    assert.is(raw.slice(field![0].length), 'X-Mailroom-Sent-By-Account: sender\r\n' + rawIn, 'the rest is the account line and the message, byte for byte');

    // Composed from fields, to two recipients: no `for` (RFC 5321 §7.2), one field on each copy.
    const two = await sendAndReadRaw(m, key, { to: ['a@mailroom.test', 'b@mailroom.test'], from: 'app@example.org', subject: 'two', text: 'x' }, 'a@mailroom.test');
    assert.match(two, new RegExp(`^Received: from \\[127\\.0\\.0\\.1\\] \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby mx\\.mailroom\\.test with HTTP id [0-9a-f]{12}; ${DATE}\\r\\n`));
    assert.is(two.match(/^Received:/gm)?.length, 1, 'exactly one Received field');
  } finally {
    await m.cleanup();
  }
});

test('with privacy.storeSenderIp off: no from clause, no address anywhere in the field', async () => {
  const m = await startApiMailroom({ privacy: { storeSenderIp: false } } as never);
  try {
    const { key } = await makeUser(m.store, 'quiet');
    const raw = await sendAndReadRaw(m, key, { to: 'q@mailroom.test', from: 'app@example.org', subject: 'private', text: 'x' }, 'q@mailroom.test');
    assert.match(raw, new RegExp(`^Received: by mx\\.mailroom\\.test with HTTP id [0-9a-f]{12}\\r\\n\\tfor <q@mailroom\\.test>; ${DATE}\\r\\nFrom: app@example\\.org\\r\\n`));
    assert.match(raw, /\r\nX-Mailroom-Sent-By-Account: quiet\r\n/);
    assert.not.match(raw.slice(0, raw.indexOf('\r\n\r\n')), /127\.0\.0\.1/);
  } finally {
    await m.cleanup();
  }
});

test.run();
