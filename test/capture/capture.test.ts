// Email Capture (issue 12): nodemailer and Python's smtplib against real
// sockets, STARTTLS on both listeners with the self-signed certificate, mail
// to any domain readable only by the account that sent it, and the replies
// for a wrong key, AUTH before TLS and a relay attempt.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import nodemailer from 'nodemailer';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import tls from 'node:tls';
import { startTestMailroom } from '../helpers/mailroom.js';
import { RawSmtp } from '../helpers/raw-smtp.js';
import { splitTrace } from '../helpers/trace.js';
import { selfSignedCertificate, selfSignedPaths } from '../../src/smtp/tls-certificate.js';
import { X509Certificate } from 'node:crypto';

type M = Awaited<ReturnType<typeof startTestMailroom>>;
let m: M;
let alice: { id: number; key: string };
let bob: { id: number; key: string };

test.before(async () => {
  // A certificate of its own: the last test checks it is made once and reused.
  m = await startTestMailroom({}, { capture: true, freshCertificate: true });
  const a = await m.store.users.create({ username: 'alice', role: 'user' });
  const b = await m.store.users.create({ username: 'bob', role: 'user' });
  alice = { id: a.id, key: m.store.keys.create(a.id, 'app').key };
  bob = { id: b.id, key: m.store.keys.create(b.id, 'app').key };
});
test.after(async () => m.cleanup());

const capturePort = () => m.captureAddress!.port;

function transport(port: number, auth?: { user: string; pass: string }) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, ...(auth ? { auth } : {}) });
}

async function api(path: string, key?: string): Promise<Response> {
  return fetch(`${m.http}${path}`, key ? { headers: { 'Mailsac-Key': key } } : {});
}

test('nodemailer with auth over STARTTLS captures mail to any domain, private to the sending account', async () => {
  const info = await transport(capturePort(), { user: 'alice', pass: alice.key }).sendMail({
    from: 'alice', // Mailsac's examples send with the bare user name as sender
    to: 'someone@gmail.com',
    subject: 'Your order',
    text: 'Thanks for shopping',
  });
  assert.match(info.response, /^250 /);
  await m.parseQueue.idle();

  const mine = (await (await api('/api/addresses/someone@gmail.com/messages', alice.key)).json()) as Array<Record<string, unknown>>;
  assert.is(mine.length, 1, 'the sender sees it');
  assert.is(mine[0].subject, 'Your order');
  assert.is(mine[0].rtls, true, 'arrived over TLS');
  const id = mine[0]._id as string;
  assert.is((await api(`/api/addresses/someone@gmail.com/messages/${id}`, alice.key)).status, 200);
  const count = (await (await api('/api/addresses/someone@gmail.com/message-count', alice.key)).json()) as { count: number };
  assert.is(count.count, 1);

  // Another account and anonymous: the inbox shows nothing and the message is not there (404), raw included.
  for (const key of [bob.key, undefined]) {
    const list = await api('/api/addresses/someone@gmail.com/messages', key);
    if (list.status === 200) assert.equal(await list.json(), [], 'nothing listed for others');
    else assert.ok([401, 403, 404].includes(list.status), `list answers ${list.status}`);
    const one = await api(`/api/addresses/someone@gmail.com/messages/${id}`, key);
    assert.ok([401, 403, 404].includes(one.status), `message answers ${one.status} to ${key ? 'bob' : 'anonymous'}`);
    const raw = await api(`/api/raw/someone@gmail.com/${id}`, key);
    assert.ok([401, 403, 404].includes(raw.status), `raw answers ${raw.status}`);
    const n = await api('/api/addresses/someone@gmail.com/message-count', key);
    if (n.status === 200) assert.is(((await n.json()) as { count: number }).count, 0);
  }

  // The UI: the inbox page at a foreign domain exists for the sender only.
  const page = await api('/inbox/someone@gmail.com', alice.key);
  assert.is(page.status, 200);
  assert.match(await page.text(), /Your order/);
  assert.is((await api('/inbox/someone@gmail.com', bob.key)).status, 404);
  assert.is((await api('/inbox/someone@gmail.com')).status, 404);
  assert.is((await api(`/inbox/someone@gmail.com/${id}`, bob.key)).status, 404);

  // The Received: field: ESMTPSA (TLS + AUTH, RFC 3848), the TLS version, our host, the one recipient.
  const stored = m.store.messages.get(id)!;
  assert.is(stored.capturedBy, alice.id);
  const t = splitTrace(m.store.messages.raw(stored.contentId));
  assert.match(t.value, /^from \S+ \(\[127\.0\.0\.1\]\) by mx\.mailroom\.test with ESMTPSA \(TLSv1\.[23]:\S+\) id \S+ for <someone@gmail\.com>; /);
});

test('an owned address works as the user name; a wrong key is 535 5.7.8 and audited', async () => {
  await m.store.addresses.reserve('alice@mailroom.test', alice.id);
  const ok = await transport(capturePort(), { user: 'alice@mailroom.test', pass: alice.key }).sendMail({ from: 'alice@mailroom.test', to: 'x@example.com', subject: 'hi', text: 'x' });
  assert.match(ok.response, /^250 /);
  try {
    await transport(capturePort(), { user: 'alice', pass: bob.key }).sendMail({ from: 'a@b.c', to: 'x@example.com', subject: 'no', text: 'x' });
    assert.unreachable('a key of another account must not log in');
  } catch (err) {
    assert.is((err as { responseCode?: number }).responseCode, 535);
    assert.match(String((err as Error).message), /5\.7\.8/);
  }
  const logins = m.store.audit.list({ limit: 10 }).filter((e) => e.action === 'login' && (e.detail as { via?: string }).via === 'smtp-capture');
  assert.ok(logins.some((e) => (e.detail as { ok: boolean }).ok === false && e.actor === 'alice'), 'failed login audited');
  assert.ok(logins.some((e) => (e.detail as { ok: boolean }).ok === true && e.actorId === alice.id), 'login audited');
});

test('AUTH before STARTTLS is refused with 538; MAIL without AUTH (a relay attempt) is 530; MX refuses relaying with 550 5.7.1', async () => {
  const c = await RawSmtp.connect(capturePort());
  await c.hello();
  const auth = await c.command(`AUTH PLAIN ${Buffer.from(`\0alice\0${alice.key}`).toString('base64')}`);
  assert.is(auth.code, 538);
  const mail = await c.command('MAIL FROM:<spammer@example.org>');
  assert.is(mail.code, 530);
  assert.match(mail.text, /5\.7\.0/);
  await c.quit();

  const mx = await RawSmtp.connect(m.smtpAddress.port);
  await mx.hello();
  assert.is((await mx.command('MAIL FROM:<spammer@example.org>')).code, 250);
  const rcpt = await mx.command('RCPT TO:<victim@gmail.com>');
  assert.is(rcpt.code, 550);
  assert.match(rcpt.text, /5\.7\.1/);
  await mx.quit();
});

test('AUTH failures are throttled per client and account (454 4.7.0)', async () => {
  let last = 0;
  for (let i = 0; i < 8; i++) {
    try {
      await transport(capturePort(), { user: 'bob', pass: `mr_wrong${i}` }).sendMail({ from: 'b@b.c', to: 'x@example.com', subject: 'no', text: 'x' });
    } catch (err) {
      last = (err as { responseCode?: number }).responseCode ?? 0;
    }
  }
  assert.is(last, 454, 'after 5 free failures the next are told to wait');
});

test('STARTTLS on the MX port from nodemailer; the MX Received field says ESMTPS, no A', async () => {
  const info = await transport(m.smtpAddress.port).sendMail({ from: 'sender@example.org', to: ['tls@mailroom.test'], subject: 'over tls', text: 'x' });
  assert.match(info.response, /^250 /);
  await m.parseQueue.idle();
  const [msg] = m.store.messages.list('tls@mailroom.test');
  assert.is(msg.tls, true);
  assert.is(msg.capturedBy, null);
  const t = splitTrace(m.store.messages.raw(msg.contentId));
  assert.match(t.value, / with ESMTPS \(TLSv1\.[23]/);
});

test("Python's smtplib: STARTTLS against both ports, login on the capture port (Mailsac's Python example)", async () => {
  const script = `
import smtplib, ssl, sys
port_mx, port_cap, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
msg = "From: app@example.org\\r\\nTo: py@mailroom.test\\r\\nSubject: py mx\\r\\n\\r\\nhello\\r\\n"
with smtplib.SMTP("127.0.0.1", port_mx) as s:
    s.ehlo(); s.starttls(context=ctx); s.ehlo()
    print("mx", s.sendmail("app@example.org", ["py@mailroom.test"], msg))
with smtplib.SMTP("127.0.0.1", port_cap) as s:
    s.ehlo(); s.starttls(context=ctx); s.ehlo()
    s.login("alice", key)
    print("cap", s.sendmail("alice", ["customer@yahoo.com"], msg.replace("py mx", "py capture")))
print("tls", s.sock is None)
`;
  // Asynchronously: the Mailroom answering it runs in this process.
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn('python3', ['-c', script, String(m.smtpAddress.port), String(capturePort()), alice.key], { timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /mx \{\}/);
  assert.match(r.stdout, /cap \{\}/);
  await m.parseQueue.idle();
  assert.is(m.store.messages.list('py@mailroom.test')[0]?.tls, true);
  const cap = await (await api('/api/addresses/customer@yahoo.com/messages', alice.key)).json() as Array<{ subject: string; rtls: boolean }>;
  assert.is(cap[0]?.subject, 'py capture');
  assert.is(cap[0]?.rtls, true);
  const [stored] = m.store.messages.list('customer@yahoo.com', { reader: { userId: alice.id, admin: false } });
  assert.is(stored.mailFrom, 'alice', 'the bare user name is kept as the envelope sender');
  assert.is(m.store.messages.list('customer@yahoo.com').length, 0, 'a read that names no reader sees no captured mail');
});

test('the self-signed certificate is kept in the data directory (key 0600), offered with TLS 1.2 at least, and reused across restarts', async () => {
  const p = selfSignedPaths(m.config.storage.dataDir);
  assert.is(statSync(p.key).mode & 0o777, 0o600);
  const pem = readFileSync(p.cert, 'utf8');
  const served = await new Promise<string>((resolve, reject) => {
    const c = RawSmtp.connect(m.smtpAddress.port).then(async (s) => {
      await s.hello();
      const r = await s.command('STARTTLS');
      assert.is(r.code, 220);
      const sock = tls.connect({ socket: s.socket, rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => {
        resolve(sock.getPeerX509Certificate()!.toString());
        sock.destroy();
      });
      sock.on('error', reject);
    });
    c.catch(reject);
  });
  assert.is(served.trim(), pem.trim(), 'STARTTLS offers the certificate from the data directory');
  // TLS 1.1 is refused (RFC 8996).
  const old = await RawSmtp.connect(m.smtpAddress.port);
  await old.hello();
  await old.command('STARTTLS');
  const refused = await new Promise<boolean>((resolve) => {
    const sock = tls.connect({ socket: old.socket, rejectUnauthorized: false, minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }, () => resolve(false));
    sock.on('error', () => resolve(true));
  });
  assert.ok(refused, 'TLS 1.1 handshake fails');

  // A restart on the same data directory offers the same certificate.
  const { startMailroom } = await import('../../src/main.js');
  const { silentLogger } = await import('../../src/log.js');
  const before = readFileSync(p.cert, 'utf8');
  await m.stop();
  const again = await startMailroom(m.config, silentLogger(), { capturePort: 0 });
  assert.is(readFileSync(p.cert, 'utf8'), before, 'the same certificate after a restart');
  assert.is(again.certificate.origin, 'self-signed');
  await again.stop();
  // Within 30 days of expiry it is replaced (the source also checks on a timer).
  const expires = Date.parse(new X509Certificate(before).validTo);
  const renewed = await selfSignedCertificate(m.config.storage.dataDir, 'mx.mailroom.test', silentLogger(), new Date(expires - 10 * 86_400_000));
  assert.is.not(String(renewed.cert).trim(), before.trim(), 'a new certificate near expiry');
  assert.is(readFileSync(p.cert, 'utf8'), String(renewed.cert), 'and it replaces the one in the data directory');
  // cleanup() stops m again (idempotent) and removes the directory.
});

test.run();
