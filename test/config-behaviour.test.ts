// Every documented config key changes behaviour (issue 2). Keys whose effect
// another test already shows are listed in SHOWN_ELSEWHERE with that test's
// file and title; the rest are shown here. The last test checks that every key
// of the schema is accounted for, so a new key without a test fails the suite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { configKeys } from '../src/config.js';
import { RawSmtp, simpleMessage } from './helpers/raw-smtp.js';
import { startTestMailroom } from './helpers/mailroom.js';
import { freePort, withMailroomProcess } from './helpers/child-process.js';
import { tempDir } from './helpers/temp.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const THIS_FILE = 'test/config-behaviour.test.ts';

/** key path -> [test file, test title] where its effect is asserted. */
const SHOWN_ELSEWHERE: Record<string, [string, string]> = {
  'smtp.maxMessageSize': ['test/smtp/receiver.test.ts', 'bad-input 6: SIZE= over the limit gets 552 5.3.4 at MAIL'],
  'smtp.maxRecipients': ['test/smtp/receiver.test.ts', 'bad-input 4: past maxRecipients'],
  'smtp.maxConnectionsPerIp': ['test/smtp/abuse.test.ts', 'bad-input 23: 500 connections from one address'],
  'smtp.connectionsPerIpPerMinute': ['test/smtp/abuse.test.ts', 'bad-input 24: connection churn'],
  'smtp.sessionTimeoutMs': ['test/smtp/abuse.test.ts', 'the whole-session deadline ends a session'],
  'smtp.minDataRate': ['test/smtp/abuse.test.ts', 'bad-input 22: a 1 byte/s slowloris is cut off'],
  'smtp.dataRateWindowMs': ['test/smtp/abuse.test.ts', 'bad-input 22: a 1 byte/s slowloris is cut off'],
  'smtp.minFreeDiskBytes': ['test/smtp/abuse.test.ts', 'bad-inputs 17, 19, 20, 31'],
  'smtp.maxDataBytesInFlight': ['test/smtp/data-budget.test.ts', 'over smtp.maxDataBytesInFlight a message gets 452 4.3.1, and the budget clears after'],
  'smtp.maxPendingMessages': ['test/smtp/backlog-gate.test.ts', 'past smtp.maxPendingMessages new mail gets 451 4.3.0, and is accepted again once the backlog drains'],
  'storage.maxDatabaseBytes': ['test/smtp/storage-failure.test.ts', 'at storage.maxDatabaseBytes a write fails with SQLITE_FULL'],
  'http.publicUrl': ['test/web/ui.test.ts', 'CSRF cookie: HttpOnly, SameSite, Secure (and __Host-) behind https'],
  'http.trustedProxies': ['test/auth/login-throttle.test.ts', 'http.trustedProxies: behind a trusted proxy, clients are told apart by X-Forwarded-For'],
  'privacy.publicInboxes': ['test/api/api-authorization.test.ts', 'public inboxes need a key when the operator turns them off'],
  'auth.adminKey': ['test/auth/auth-cli.test.ts', 'ensureAdmin'],
  'smtp.greetPauseMs': ['test/smtp/greet-pause.test.ts', 'greetPauseMs 0 greets every client at once'],
  'smtp.greetPauseTrustMinutes': ['test/smtp/greet-pause.test.ts', 'greetPauseTrustMinutes 0 keeps the pause for every connection'],
  'auth.registration': ['test/auth/auth-ui.test.ts', 'registration creates a user when the operator allows it'],
  // Issue 4: retention and privacy.
  'retention.schedule': ['test/jobs/retention.test.ts', 'scheduler: never two runs at once'],
  'retention.timezone': ['test/jobs/retention.test.ts', 'scheduler: never two runs at once'],
  'retention.batchSize': ['test/jobs/retention.test.ts', 'policyFromConfig: every retention key'],
  'retention.public.maxAgeHours': ['test/privacy/settings.test.ts', 'privacy.publicInboxes off: unownedHandling signed-in, admin-only, or reject at RCPT'],
  'retention.public.maxMessagesPerInbox': ['test/privacy/settings.test.ts', 'privacy.publicInboxes off: unownedHandling signed-in, admin-only, or reject at RCPT'],
  'retention.private.maxMessagesPerAccount': ['test/privacy/settings.test.ts', 'reserved local parts: listed on /privacy with their handling'],
  'retention.private.maxAgeHours': ['test/privacy/settings.test.ts', 'reserved local parts: listed on /privacy with their handling'],
  'retention.diskHighWater': ['test/jobs/retention.test.ts', 'policyFromConfig: every retention key'],
  'retention.diskLowWater': ['test/jobs/retention.test.ts', 'policyFromConfig: every retention key'],
  'privacy.unownedHandling': ['test/privacy/settings.test.ts', 'privacy.publicInboxes off: unownedHandling signed-in, admin-only, or reject at RCPT'],
  'privacy.storeSenderIp': ['test/privacy/settings.test.ts', 'privacy.storeSenderIp: on stores and shows the IP and HELO'],
  'privacy.auditLogDays': ['test/privacy/settings.test.ts', 'reserved local parts: listed on /privacy with their handling'],
  'privacy.loginRecordDays': ['test/privacy/settings.test.ts', 'reserved local parts: listed on /privacy with their handling'],
  'privacy.contact': ['test/privacy/settings.test.ts', 'reserved local parts: listed on /privacy with their handling'],
};

/** Keys shown by the tests in this file: filled in as the tests are declared. */
const SHOWN_HERE = new Set<string>();
function shows(keys: string[], title: string, fn: () => Promise<void>): void {
  keys.forEach((k) => SHOWN_HERE.add(k));
  test(`${keys.join(', ')}: ${title}`, fn);
}

async function rcpt(port: number, address: string): Promise<number> {
  const c = await RawSmtp.connect(port);
  await c.hello();
  await c.command('MAIL FROM:<x@example.org>');
  const r = await c.command(`RCPT TO:<${address}>`);
  await c.quit();
  return r.code;
}

shows(['domains'], 'mail is accepted for the configured domains and refused for others', async () => {
  const a = await startTestMailroom({ domains: ['alpha.test'] });
  const b = await startTestMailroom({ domains: ['beta.test'] });
  try {
    assert.is(await rcpt(a.smtpAddress.port, 'x@alpha.test'), 250);
    assert.is(await rcpt(a.smtpAddress.port, 'x@beta.test'), 550);
    assert.is(await rcpt(b.smtpAddress.port, 'x@beta.test'), 250);
    assert.is(await rcpt(b.smtpAddress.port, 'x@alpha.test'), 550);
  } finally {
    await a.cleanup();
    await b.cleanup();
  }
});

shows(['smtp.host', 'smtp.port', 'http.host', 'http.port'], 'the listeners bind the configured address and port', async () => {
  const smtpPort = await freePort('127.0.0.2');
  const httpPort = await freePort('127.0.0.2');
  const m = await startTestMailroom({ smtp: { host: '127.0.0.2', port: smtpPort } as never, http: { host: '127.0.0.2', port: httpPort } as never });
  try {
    assert.is(m.smtpAddress.port, smtpPort);
    assert.is(m.smtpAddress.address, '127.0.0.2');
    assert.is(m.httpAddress.port, httpPort);
    const c = await RawSmtp.connect(smtpPort, '127.0.0.2');
    assert.is((await c.reply()).code, 220);
    await c.quit();
    assert.is((await fetch(`http://127.0.0.2:${httpPort}/healthz`)).status, 200);
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(smtpPort, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(true));
    });
    assert.ok(refused, 'nothing listens on the other address');
  } finally {
    await m.cleanup();
  }
});

shows(['smtp.hostname'], 'the greeting and EHLO reply carry the configured name', async () => {
  const m = await startTestMailroom({ smtp: { hostname: 'mx.configured.test' } as never });
  try {
    const c = await RawSmtp.connect(m.smtpAddress.port);
    assert.match((await c.reply()).text, /^mx\.configured\.test /);
    assert.match((await c.command('EHLO client.test')).text, /^mx\.configured\.test/);
    await c.quit();
  } finally {
    await m.cleanup();
  }
});

shows(['smtp.maxClients'], 'the connection past the limit gets 421', async () => {
  const m = await startTestMailroom({ smtp: { maxClients: 2 } as never });
  try {
    const a = await RawSmtp.connect(m.smtpAddress.port);
    const b = await RawSmtp.connect(m.smtpAddress.port);
    assert.is((await a.reply()).code, 220);
    assert.is((await b.reply()).code, 220);
    const c = await RawSmtp.connect(m.smtpAddress.port);
    assert.is((await c.reply()).code, 421);
    await Promise.all([a.quit(), b.quit(), c.quit()]);
  } finally {
    await m.cleanup();
  }
});

shows(['smtp.socketTimeoutMs'], 'an idle session is closed after the timeout', async () => {
  const m = await startTestMailroom({ smtp: { socketTimeoutMs: 1000 } as never });
  try {
    const c = await RawSmtp.connect(m.smtpAddress.port);
    await c.hello();
    const started = Date.now();
    const r = await c.reply(8000);
    assert.is(r.code, 421);
    assert.ok(Date.now() - started < 6000);
    await c.quit();
  } finally {
    await m.cleanup();
  }
});

shows(['smtp.closeTimeoutMs'], 'shutdown waits that long for a transaction that never ends, then cuts it', async () => {
  const m = await startTestMailroom({ smtp: { closeTimeoutMs: 800 } as never });
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.hello();
  await c.command('MAIL FROM:<x@example.org>');
  await c.command('RCPT TO:<stuck@mailroom.test>');
  await c.command('DATA');
  c.write('Subject: never finished\r\n\r\nhalf');
  const started = Date.now();
  await m.cleanup();
  const took = Date.now() - started;
  assert.ok(took >= 700 && took < 5000, `shutdown took ${took} ms`);
  await c.closedPromise();
  assert.ok(c.closed);
});

shows(['smtp.maxCommandLength'], 'a 2,000-byte command is refused by default and accepted when allowed', async () => {
  const a = await startTestMailroom();
  const b = await startTestMailroom({ smtp: { maxCommandLength: 4096 } as never });
  try {
    for (const [m, expect] of [[a, false], [b, true]] as const) {
      const c = await RawSmtp.connect(m.smtpAddress.port);
      await c.hello();
      const r = await c.command('NOOP ' + 'x'.repeat(2000));
      assert.is(r.code === 250, expect, `answered ${r.code}`);
      await c.quit();
    }
  } finally {
    await a.cleanup();
    await b.cleanup();
  }
});

shows(['smtp.tls.cert', 'smtp.tls.key'], 'STARTTLS is offered only when a certificate and key are configured', async () => {
  const dir = tempDir();
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=mx.mailroom.test'], { stdio: 'ignore' });
  const plain = await startTestMailroom();
  const tls = await startTestMailroom({ smtp: { tls: { cert: `${dir}/cert.pem`, key: `${dir}/key.pem` } } as never });
  try {
    for (const [m, offered] of [[plain, false], [tls, true]] as const) {
      const c = await RawSmtp.connect(m.smtpAddress.port);
      await c.reply();
      assert.is(/STARTTLS/.test((await c.command('EHLO client.test')).text), offered);
      if (offered) assert.is((await c.command('STARTTLS')).code, 220);
      c.socket.destroy();
    }
  } finally {
    await plain.cleanup();
    await tls.cleanup();
  }
});

shows(['storage.dataDir'], 'the database lives in the configured directory', async () => {
  const m = await startTestMailroom();
  try {
    assert.ok(existsSync(path.join(m.config.storage.dataDir, 'mailroom.db')));
    assert.is(m.store.file, path.join(m.config.storage.dataDir, 'mailroom.db'));
  } finally {
    await m.cleanup();
  }
});

shows(['log.level', 'log.content'], 'the level filters log lines; content fields appear only when allowed', async () => {
  const send = async ({ smtp }: { smtp: number }) => {
    const c = await RawSmtp.connect(smtp);
    await c.hello();
    assert.is((await c.send('sender-marker@example.org', ['rcpt-marker@mailroom.test'], simpleMessage({ to: 'x', subject: 'log test' }))).code, 250);
    await c.quit();
  };
  const quiet = await withMailroomProcess({ MAILROOM_DATA_DIR: tempDir(), MAILROOM_LOG_LEVEL: 'warn' }, send);
  assert.not.match(quiet, /message stored/);
  const plain = await withMailroomProcess({ MAILROOM_DATA_DIR: tempDir(), MAILROOM_LOG_LEVEL: 'info' }, send);
  assert.match(plain, /message stored/);
  assert.not.match(plain, /sender-marker|rcpt-marker/, 'no addresses in logs by default');
  const content = await withMailroomProcess({ MAILROOM_DATA_DIR: tempDir(), MAILROOM_LOG_LEVEL: 'info', MAILROOM_LOG_CONTENT: 'true' }, send);
  assert.match(content, /sender-marker@example\.org/);
  assert.match(content, /rcpt-marker@mailroom\.test/);
});

shows(['privacy.reservedLocalParts', 'privacy.reservedHandling'], 'the reserved list decides which inboxes are restricted; "reject" refuses them at RCPT', async () => {
  const listed = await startTestMailroom({ privacy: { reservedLocalParts: ['security'] } as never });
  const reject = await startTestMailroom({ privacy: { reservedHandling: 'reject' } as never });
  try {
    assert.is((await fetch(`${listed.http}/inbox/security@mailroom.test`)).status, 403);
    assert.is((await fetch(`${listed.http}/inbox/postmaster@mailroom.test`)).status, 200, 'not on the configured list: public');
    assert.is(await rcpt(listed.smtpAddress.port, 'security@mailroom.test'), 250, 'admin-only keeps the mail');
    assert.is(await rcpt(reject.smtpAddress.port, 'postmaster@mailroom.test'), 550);
    assert.is(await rcpt(reject.smtpAddress.port, 'someone@mailroom.test'), 250);
  } finally {
    await listed.cleanup();
    await reject.cleanup();
  }
});

shows(['privacy.releaseDeletesMail'], 'releasing a private address keeps its mail (public) by default and deletes it when set', async () => {
  for (const wipe of [false, true]) {
    const m = await startTestMailroom({ privacy: { releaseDeletesMail: wipe } as never, auth: { adminKey: 'config-test-admin-key-0123456789' } as never });
    try {
      const key = { 'Mailsac-Key': 'config-test-admin-key-0123456789' };
      assert.is((await fetch(`${m.http}/api/addresses/kept@mailroom.test`, { method: 'POST', headers: key })).status, 200);
      const c = await RawSmtp.connect(m.smtpAddress.port);
      await c.hello();
      assert.is((await c.send('x@example.org', ['kept@mailroom.test'], simpleMessage({ to: 'x', subject: 'private' }))).code, 250);
      await c.quit();
      assert.is((await fetch(`${m.http}/api/addresses/kept@mailroom.test`, { method: 'DELETE', headers: key })).status, 200);
      assert.is(m.store.messages.countAll('kept@mailroom.test'), wipe ? 0 : 1);
    } finally {
      await m.cleanup();
    }
  }
});

shows(['auth.sessionHours'], 'the login session cookie lasts the configured number of hours', async () => {
  const m = await startTestMailroom({ auth: { sessionHours: 3 } as never });
  try {
    await m.store.users.create({ username: 'hours', password: 'hours-password-1' });
    const page = await fetch(`${m.http}/login`);
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const res = await fetch(`${m.http}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: m.http, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, username: 'hours', password: 'hours-password-1' }).toString(),
    });
    assert.is(res.status, 303);
    const session = res.headers.getSetCookie().find((c) => c.startsWith('mr_session='))!;
    assert.match(session, /Max-Age=10800/i);
  } finally {
    await m.cleanup();
  }
});

test('every config key is shown to change behaviour by some test', () => {
  const missing: string[] = [];
  for (const { path: key } of configKeys()) {
    if (SHOWN_HERE.has(key)) continue;
    const where = SHOWN_ELSEWHERE[key];
    if (!where) {
      missing.push(key);
      continue;
    }
    const [file, title] = where;
    assert.ok(file !== THIS_FILE);
    assert.ok(readFileSync(path.join(ROOT, file), 'utf8').includes(title), `${key}: ${file} has a test "${title}"`);
  }
  assert.equal(missing, [], `keys without a behaviour test: ${missing.join(', ')}`);
});

test.run();
