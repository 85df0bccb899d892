// Captured mail (issue 12) is its capturer's and the admins' alone, and push
// (issue 11) must not hand it to anyone else who may watch the same inbox: a
// public inbox's websocket watcher and its live page get nothing of it, while
// the capturing account's own watcher gets its frame.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import nodemailer from 'nodemailer';
import { startTestMailroom } from '../helpers/mailroom.js';
import { connectWs } from './_helpers.js';

test('a captured message is pushed to its capturer only, never to another watcher of the inbox', async () => {
  const m = await startTestMailroom({}, { capture: true });
  try {
    const a = await m.store.users.create({ username: 'capturer', role: 'user' });
    const b = await m.store.users.create({ username: 'watcher', role: 'user' });
    const capturerKey = m.store.keys.create(a.id, 'app').key;
    const watcherKey = m.store.keys.create(b.id, 'app').key;
    const url = (key: string) => `ws://127.0.0.1:${m.httpAddress.port}/incoming-messages?key=${key}&addresses=public-box@mailroom.test`;
    const mine = connectWs(url(capturerKey));
    const other = connectWs(url(watcherKey));
    assert.is((await mine.next()).status, 200);
    assert.is((await other.next()).status, 200);
    // The live inbox page's event stream, anonymous, for the same public inbox.
    const events = await fetch(`${m.http}/inbox/public-box@mailroom.test/events`);
    assert.is(events.status, 200);
    const reader = events.body!.getReader();
    let streamed = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        streamed += Buffer.from(value).toString();
      }
    })();

    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: m.captureAddress!.port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'capturer', pass: capturerKey } });
    await transport.sendMail({ from: 'capturer', to: 'public-box@mailroom.test', subject: 'captured secret', text: 'reset token 1234' });
    const frame = await mine.next((f) => f.subject === 'captured secret');
    assert.is(frame.inbox, 'public-box@mailroom.test');

    // Then ordinary MX mail to the same inbox: everyone hears it, so the other
    // channels were live and in order, and the captured one was withheld.
    await transport.close();
    const mx = nodemailer.createTransport({ host: '127.0.0.1', port: m.smtpAddress.port, secure: false, ignoreTLS: true });
    await mx.sendMail({ from: 'someone@example.org', to: 'public-box@mailroom.test', subject: 'ordinary mail', text: 'hello' });
    await other.next((f) => f.subject === 'ordinary mail');
    const deadline = Date.now() + 10_000;
    while (!streamed.includes('ordinary mail') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(streamed.includes('ordinary mail'), 'the live page heard the MX mail');
    assert.not.ok(other.frames.some((f) => f.subject === 'captured secret'), 'another watcher got the captured message');
    assert.not.ok(streamed.includes('captured secret'), 'the public live page got the captured message');

    await reader.cancel();
    await reading.catch(() => {});
    mine.ws.close();
    other.ws.close();
  } finally {
    await m.cleanup();
  }
});

test.run();
