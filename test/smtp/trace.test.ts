// The Received: field (RFC 5321 §4.4, RFC 3848, issue 12): its clauses, and
// what privacy.storeSenderIp and the recipient count leave out, over a real socket.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { receivedHeader, withProtocol, rfc5322Date } from '../../src/smtp/trace.js';
import { startTestMailroom } from '../helpers/mailroom.js';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { splitTrace } from '../helpers/trace.js';

test('with-protocol keywords follow RFC 3848', () => {
  assert.is(withProtocol(false, false), 'ESMTP');
  assert.is(withProtocol(true, false), 'ESMTPS');
  assert.is(withProtocol(false, true), 'ESMTPA');
  assert.is(withProtocol(true, true), 'ESMTPSA');
  assert.is(rfc5322Date(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), 'Fri, 02 Jan 2026 03:04:05 +0000');
});

test('a hostile HELO cannot break out of the field', () => {
  const h = receivedHeader({ helo: 'evil\r\nBcc: x@y (z)', ip: '192.0.2.1', by: 'mx', tlsVersion: '', cipher: '', authenticated: false, recipients: ['a@b.c'], id: 'i', date: new Date(0) });
  assert.is(h.split('\r\n').filter((l) => l && !/^\t/.test(l)).length, 1, 'one field, folded lines only');
  assert.not.match(h, /\r\nBcc:/);
});

test('over SMTP: from clause only with privacy.storeSenderIp, for clause only with one recipient', async () => {
  for (const storeSenderIp of [true, false]) {
    const m = await startTestMailroom({ privacy: { storeSenderIp } } as never);
    try {
      const c = await RawSmtp.connect(m.smtpAddress.port);
      await c.hello('client.example');
      assert.is((await c.send('s@example.org', ['one@mailroom.test'], simpleMessage({ to: 'one@mailroom.test', subject: 'one' }))).code, 250);
      assert.is((await c.send('s@example.org', ['two@mailroom.test', 'three@mailroom.test'], simpleMessage({ to: 'two@mailroom.test', subject: 'two' }))).code, 250);
      await c.quit();
      await m.parseQueue.idle();
      const one = splitTrace(m.store.messages.raw(m.store.messages.list('one@mailroom.test')[0].contentId)).value;
      const two = splitTrace(m.store.messages.raw(m.store.messages.list('two@mailroom.test')[0].contentId)).value;
      if (storeSenderIp) assert.match(one, /^from client\.example \(\[127\.0\.0\.1\]\) by mx\.mailroom\.test with ESMTP id /);
      else assert.match(one, /^by mx\.mailroom\.test with ESMTP id /, 'no client name or address');
      if (!storeSenderIp) assert.not.match(one, /127\.0\.0\.1|client\.example/);
      assert.match(one, / for <one@mailroom\.test>; /);
      assert.not.match(two, / for </, 'no recipient named when there are several');
    } finally {
      await m.cleanup();
    }
  }
});

test.run();
