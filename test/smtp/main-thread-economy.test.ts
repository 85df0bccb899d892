// What the receiver does to spend less of the main thread per message (issue
// 16), seen from a client: replies to pipelined commands arrive in one write
// (smtp/reply-coalescing.ts) and STARTTLS still works behind it; the cached
// per-recipient lookups (store/lookup-cache.ts) see this process's changes at
// the very next RCPT.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import tls from 'node:tls';
import { RawSmtp } from '../helpers/raw-smtp.js';
import { startTestMailroom } from '../helpers/mailroom.js';

let m: Awaited<ReturnType<typeof startTestMailroom>>;

test.before(async () => {
  m = await startTestMailroom({ smtp: { greetPauseMs: 0 } });
});

test.after(async () => {
  await m?.cleanup();
});

/** The next chunk the socket reads, as text. */
function nextChunk(socket: { once(e: 'data', l: (d: Buffer) => void): unknown }): Promise<string> {
  return new Promise((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
}

/** Counts the writes the server's next accepted socket hands to the kernel (net.Socket's _write and _writev, one each). */
function countServerWrites(): { readonly writes: number } {
  const counter = { writes: 0 };
  m.smtp.server.server.once('connection', (socket) => {
    const s = socket as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
    for (const name of ['_write', '_writev'] as const) {
      const original = s[name];
      s[name] = function (this: unknown, ...a: unknown[]) {
        counter.writes++;
        return original.apply(this, a);
      };
    }
  });
  return counter;
}

test('MAIL, RCPT and DATA pipelined in one packet are answered in one write, in order, and the message is stored', async () => {
  const counter = countServerWrites();
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.hello();
  const before = counter.writes;
  const chunk = nextChunk(c.socket);
  c.write('MAIL FROM:<a@client.test>\r\nRCPT TO:<one@mailroom.test>\r\nDATA\r\n');
  assert.match(await chunk, /^250 [^\r]*\r\n250 [^\r]*\r\n354 [^\r]*\r\n$/);
  assert.is(counter.writes - before, 1, 'three replies, one write');
  for (const code of [250, 250, 354]) assert.is((await c.reply()).code, code);
  c.write('Subject: pipelined\r\n\r\nhello\r\n.\r\n');
  assert.is((await c.reply()).code, 250);
  await c.quit();
  assert.is(m.store.messages.countAll('one@mailroom.test'), 1);
});

test('STARTTLS in the same packet as another command: its 220 leaves before the TLS handshake; pipelining works inside TLS', async () => {
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.hello();
  c.write('NOOP\r\nSTARTTLS\r\n');
  assert.is((await c.reply()).code, 250);
  assert.is((await c.reply()).code, 220);
  const secure = tls.connect({ socket: c.socket, rejectUnauthorized: false, servername: 'mx.mailroom.test' });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', () => resolve());
    secure.once('error', reject);
  });
  let text = '';
  secure.on('data', (d: Buffer) => (text += d.toString('latin1')));
  const replyCount = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => ((text.match(/^\d{3} /gm)?.length ?? 0) >= n ? resolve() : setTimeout(check, 5));
      check();
    });
  secure.write('EHLO client.test\r\n');
  await replyCount(1);
  assert.match(text, /^250[- ]/);
  // Inside TLS the replies go through the TLSSocket (coalesced via onSecure): pipelined, in order, stored.
  secure.write('MAIL FROM:<a@client.test>\r\nRCPT TO:<tls@mailroom.test>\r\nDATA\r\n');
  await replyCount(4);
  secure.write('Subject: over tls\r\n\r\nhello\r\n.\r\n');
  await replyCount(5);
  assert.equal(text.match(/^\d{3}(?= )/gm), ['250', '250', '250', '354', '250']);
  assert.is(m.store.messages.countAll('tls@mailroom.test'), 1);
  secure.destroy();
});

test('an account domain removed in this process is refused at the very next RCPT', async () => {
  const owner = m.store.users.createWithoutPassword({ username: 'domain-owner' });
  m.store.domains.add('own.example', owner.id, 'token-own');
  m.store.domains.markVerified('own.example');
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.hello();
  assert.is((await c.command('MAIL FROM:<a@client.test>')).code, 250);
  assert.is((await c.command('RCPT TO:<first@own.example>')).code, 250, 'a verified account domain is taken');
  await m.store.data.domains.remove('own.example');
  const refused = await c.command('RCPT TO:<second@own.example>');
  assert.is(refused.code, 550);
  assert.match(refused.text, /5\.7\.1/);
  await c.quit();
});

test.run();
