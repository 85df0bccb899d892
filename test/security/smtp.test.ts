// Catalogue lines at the SMTP level that need TLS, non-ASCII addresses or a
// whole message too complex to parse (bad-inputs 25, 26, 29, 34-36), over real
// sockets against a whole Mailroom.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { startTestMailroom, tempDir } from '../helpers/mailroom.js';
import { splitTrace } from '../helpers/trace.js';

type M = Awaited<ReturnType<typeof startTestMailroom>>;
let m: M;
let certDir: string;

test.before(async () => {
  // A throwaway self-signed certificate, made at test time so no key is committed.
  certDir = tempDir('mailroom-tls-');
  const cert = path.join(certDir, 'cert.pem');
  const key = path.join(certDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=mx.mailroom.test'], {
    stdio: 'ignore',
  });
  m = await startTestMailroom({
    // testConfig merges overrides after validation, so give the domain in its canonical (punycode) form.
    domains: ['mailroom.test', 'xn--bcher-kva.test'] as never,
    smtp: { tls: { cert, key }, socketTimeoutMs: 1500 } as never,
  });
});

test.after(async () => {
  await m?.cleanup();
  rmSync(certDir, { recursive: true, force: true });
});

/** Reads SMTP replies off any duplex stream (plain or TLS), one complete reply at a time. */
class Replies {
  private buf = '';
  private lines: string[] = [];
  private queue: Array<{ code: number; text: string }> = [];
  private waiters: Array<(r: { code: number; text: string }) => void> = [];
  closed = false;
  constructor(stream: net.Socket | tls.TLSSocket) {
    stream.on('data', (d: Buffer) => {
      this.buf += d.toString('utf8');
      let i: number;
      while ((i = this.buf.indexOf('\r\n')) !== -1) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        const mm = /^(\d{3})([ -])(.*)$/.exec(line);
        if (!mm) continue;
        this.lines.push(mm[3]!);
        if (mm[2] === ' ') {
          const r = { code: Number(mm[1]), text: this.lines.join('\n') };
          this.lines = [];
          const w = this.waiters.shift();
          if (w) w(r);
          else this.queue.push(r);
        }
      }
    });
    stream.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w({ code: 0, text: 'closed' }));
    });
    stream.on('error', () => {});
  }
  next(ms = 5000): Promise<{ code: number; text: string }> {
    const r = this.queue.shift();
    if (r) return Promise.resolve(r);
    if (this.closed) return Promise.resolve({ code: 0, text: 'closed' });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no reply')), ms);
      this.waiters.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  }
  /** Replies that arrived and nobody asked for. */
  get unread(): number {
    return this.queue.length;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function plainToStarttls(): Promise<{ sock: net.Socket; r: Replies }> {
  const sock = net.connect(m.smtpAddress.port, '127.0.0.1');
  await new Promise<void>((res, rej) => sock.once('connect', res).once('error', rej));
  const r = new Replies(sock);
  assert.is((await r.next()).code, 220);
  sock.write('EHLO client.test\r\n');
  const ehlo = await r.next();
  assert.is(ehlo.code, 250);
  assert.match(ehlo.text, /STARTTLS/, 'STARTTLS advertised when a certificate is configured');
  return { sock, r };
}

async function waitFor(cond: () => boolean, ms = 8000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

test('bad-input 25: commands pipelined in plaintext after STARTTLS are discarded, not run inside TLS', async () => {
  const before = m.store.messages.stats().contents;
  const { sock, r } = await plainToStarttls();
  // CVE-2011-0411: a man in the middle appends commands to the client's STARTTLS.
  sock.write(
    'STARTTLS\r\nMAIL FROM:<injected@attacker.example>\r\nRCPT TO:<victim@mailroom.test>\r\nDATA\r\nSubject: injected\r\n\r\nx\r\n.\r\n',
  );
  assert.is((await r.next()).code, 220, 'ready to start TLS');
  // The Replies reader must not read TLS records as text: detach it before the handshake.
  sock.removeAllListeners('data');
  const secure = tls.connect({ socket: sock, rejectUnauthorized: false, servername: 'mx.mailroom.test' });
  await new Promise<void>((res, rej) => secure.once('secureConnect', res).once('error', rej));
  const tr = new Replies(secure);
  await sleep(200);
  assert.is(tr.unread, 0, 'no reply to any injected command arrives inside TLS');
  // RFC 3207 4.2: state from before TLS is forgotten; the client must EHLO again.
  secure.write('EHLO client.test\r\n');
  const ehlo = await tr.next();
  assert.is(ehlo.code, 250);
  assert.not.match(ehlo.text, /STARTTLS/, 'not offered twice');
  secure.write('RCPT TO:<victim@mailroom.test>\r\n');
  assert.is((await tr.next()).code, 503, 'the injected MAIL FROM did not open a transaction');
  // A real transaction inside TLS works and is recorded as TLS.
  secure.write('MAIL FROM:<real@example.org>\r\n');
  assert.is((await tr.next()).code, 250);
  secure.write('RCPT TO:<tls-ok@mailroom.test>\r\n');
  assert.is((await tr.next()).code, 250);
  secure.write('DATA\r\n');
  assert.is((await tr.next()).code, 354);
  secure.write(simpleMessage({ to: 'tls-ok@mailroom.test', subject: 'over tls' }) + '\r\n.\r\n');
  assert.is((await tr.next()).code, 250);
  secure.write('QUIT\r\n');
  await tr.next().catch(() => null);
  secure.destroy();
  assert.is(m.store.messages.countAll('victim@mailroom.test'), 0, 'the injected message was never stored');
  assert.is(m.store.messages.stats().contents, before + 1, 'only the real message');
  await m.parseQueue.idle(); // listed once ready (issue 10)
  const stored = m.store.messages.list('tls-ok@mailroom.test')[0];
  assert.ok(stored?.tls, 'stored with tls=true');
});

test('bad-input 26: a broken or stalled TLS handshake is closed; the process stays up and serves others', async () => {
  // 1. Garbage instead of a ClientHello.
  const a = await plainToStarttls();
  a.sock.write('STARTTLS\r\n');
  assert.is((await a.r.next()).code, 220);
  a.sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n' + '\x16\x03\x01\x00\x05garbage'.repeat(20));
  assert.ok(await waitFor(() => a.sock.destroyed || a.sock.readableEnded), 'garbage handshake: connection closed');
  a.sock.destroy();

  // 2. A client that says STARTTLS and then nothing at all: the idle timeout (1.5 s here) ends it.
  const b = await plainToStarttls();
  b.sock.write('STARTTLS\r\n');
  assert.is((await b.r.next()).code, 220);
  b.sock.removeAllListeners('data');
  b.sock.resume();
  const t0 = Date.now();
  const closed = await waitFor(() => b.sock.destroyed || b.sock.readableEnded || b.sock.closed, 10_000);
  assert.ok(closed, 'stalled handshake: closed by a timeout');
  assert.ok(Date.now() - t0 < 10_000);
  b.sock.destroy();

  // 3. Half a handshake: a truncated ClientHello, then silence.
  const c = await plainToStarttls();
  c.sock.write('STARTTLS\r\n');
  assert.is((await c.r.next()).code, 220);
  c.sock.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
  assert.ok(await waitFor(() => c.sock.destroyed || c.sock.readableEnded || c.sock.closed, 10_000), 'truncated ClientHello: closed');
  c.sock.destroy();

  // The process is up, counts nothing left over, and a normal client is served.
  assert.ok(await waitFor(() => m.smtp.connections === 0), `connections back to 0 (${m.smtp.connections})`);
  const ok = await RawSmtp.connect(m.smtpAddress.port);
  await ok.hello();
  assert.is((await ok.send('x@example.org', ['after-tls@mailroom.test'], simpleMessage({ to: 'x', subject: 'after' }))).code, 250);
  await ok.quit();
  const health = await fetch(`${m.http}/healthz`);
  assert.is(health.status, 200);
});

test('bad-input 29: SMTPUTF8 local parts and IDN domains are accepted and stored in one canonical form', async () => {
  const c = await RawSmtp.connect(m.smtpAddress.port);
  const greet = await c.reply();
  assert.is(greet.code, 220);
  const ehlo = await c.command('EHLO client.test');
  assert.match(ehlo.text, /SMTPUTF8/, 'SMTPUTF8 advertised');
  // NFD "jose\u0301" and NFC "jos\u00e9" are one inbox; Unicode and punycode domains are one domain.
  const nfd = 'jose\u0301@mailroom.test';
  const nfc = 'jos\u00e9@mailroom.test';
  assert.is((await c.command('MAIL FROM:<sender@exämple.org> SMTPUTF8')).code, 250);
  assert.is((await c.command(`RCPT TO:<${nfd}>`)).code, 250);
  assert.is((await c.command(`RCPT TO:<${nfc}>`)).code, 250, 'the same inbox again: accepted, stored once');
  assert.is((await c.command('RCPT TO:<Leser@bücher.test>')).code, 250);
  assert.is((await c.command('RCPT TO:<leser@xn--bcher-kva.test>')).code, 250);
  assert.is((await c.command('DATA')).code, 354);
  c.write(Buffer.from(simpleMessage({ to: nfc, subject: 'ünïcödé', from: 'Sënder <sender@exämple.org>' }) + '\r\n.\r\n', 'utf8'));
  assert.is((await c.reply()).code, 250);
  await c.quit();

  assert.is(m.store.messages.countAll(nfc), 1, 'NFC inbox holds it once');
  assert.is(m.store.messages.countAll(nfd), 0, 'no NFD twin');
  assert.is(m.store.messages.countAll('leser@xn--bcher-kva.test'), 1, 'IDN stored under its punycode domain, once');
  assert.is(m.store.messages.countAll('leser@bücher.test'), 0, 'no Unicode-domain twin');
  await m.parseQueue.idle(); // listed once ready (issue 10)
  const stored = m.store.messages.list(nfc)[0]!;
  assert.is(stored.inbox, nfc);
  assert.is(stored.mailFrom, 'sender@exämple.org');
  // Every spelling reaches the same page and the same API answer.
  for (const spelling of [encodeURIComponent(nfd), encodeURIComponent(nfc)]) {
    const res = await fetch(`${m.http}/api/addresses/${spelling}/messages`);
    assert.is(res.status, 200);
    const list = (await res.json()) as Array<{ _id: string }>;
    assert.equal(list.map((x) => x._id), [stored.id]);
  }
  const idn = await fetch(`${m.http}/api/addresses/${encodeURIComponent('leser@bücher.test')}/messages`);
  assert.is(((await idn.json()) as unknown[]).length, 1);
  const page = await fetch(`${m.http}/inbox/${encodeURIComponent('leser@bücher.test')}`, { redirect: 'manual' });
  assert.is(page.status, 301);
  assert.match(page.headers.get('location') ?? '', /\/inbox\/leser@xn--bcher-kva\.test$/);

  // A domain we do not serve stays refused in either spelling.
  const d = await RawSmtp.connect(m.smtpAddress.port);
  await d.hello();
  assert.is((await d.command('MAIL FROM:<a@b.example> SMTPUTF8')).code, 250);
  assert.is((await d.command('RCPT TO:<x@mäil.example>')).code, 550);
  await d.quit();
});

async function sendAndCheckFlagged(subject: string, raw: string): Promise<void> {
  const before = m.store.messages.stats().contents;
  const to = `${subject}@mailroom.test`;
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.hello();
  const r = await c.send('x@example.org', [to], raw);
  await c.quit();
  // Either refused (nothing stored) or 250 with the message kept raw and flagged. Never 250-then-drop.
  if (r.code !== 250) {
    assert.ok(r.code >= 500 && r.code < 600, `${subject}: ${r.code} ${r.text}`);
    assert.is(m.store.messages.stats().contents, before, 'refused: nothing stored');
    return;
  }
  await m.parseQueue.idle();
  const list = m.store.messages.list(to);
  assert.is(list.length, 1, `${subject}: a 250 means it is stored`);
  const msg = list[0]!;
  const rawStored = splitTrace(m.store.messages.raw(msg.contentId)).rest;
  assert.ok(rawStored.equals(Buffer.from(raw)), 'raw kept byte-exact after our Received: field');
  assert.is(msg.parseState, 'failed', `${subject}: flagged`);
  assert.ok(msg.parseError.length > 0);
  // Readers see it flagged, with the raw source one click away, in the UI and the API.
  const page = await fetch(`${m.http}/inbox/${to}/${msg.id}`);
  assert.is(page.status, 200);
  assert.match(await page.text(), /could not be (read|parsed)|unparseable|raw/i);
  const rawRes = await fetch(`${m.http}/inbox/${to}/${msg.id}/raw`);
  assert.is(rawRes.status, 200);
  assert.is((await rawRes.arrayBuffer()).byteLength, m.store.messages.raw(msg.contentId)!.length, 'the raw view serves the stored bytes, trace field included');
}

test('bad-input 34: a 5 000-deep nested multipart over SMTP is stored raw and flagged', async () => {
  let raw = 'From: Deep <deep@x.example>\r\nTo: deep@mailroom.test\r\nSubject: deep\r\nMIME-Version: 1.0\r\n';
  for (let i = 0; i < 5000; i++) raw += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`;
  raw += 'Content-Type: text/plain\r\n\r\nhi\r\n';
  await sendAndCheckFlagged('deep', raw);
});

test('bad-input 35: 5 000 flat parts over SMTP is stored raw and flagged', async () => {
  let raw = 'From: a@b.example\r\nTo: flat@mailroom.test\r\nSubject: flat\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n';
  for (let i = 0; i < 5000; i++) raw += `--x\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`;
  raw += '--x--\r\n';
  await sendAndCheckFlagged('flat', raw);
});

test('bad-input 36: a header block over 1 MiB / 20 000 lines over SMTP is stored raw and flagged', async () => {
  let raw = 'From: a@b.example\r\nTo: hugeheader@mailroom.test\r\nSubject: huge header\r\n';
  for (let i = 0; i < 21_000; i++) raw += `X-Filler-${i}: ${'y'.repeat(40)}\r\n`;
  raw += '\r\nbody\r\n';
  assert.ok(raw.length > 1024 * 1024);
  await sendAndCheckFlagged('hugeheader', raw);
});

test.run();
