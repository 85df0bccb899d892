// Every documented config key changes behaviour (issue 2). Keys whose effect
// another test already shows are listed in SHOWN_ELSEWHERE with that test's
// file and title; the rest are shown here. The last test checks that every key
// of the schema is accounted for, so a new key without a test fails the suite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import nodemailer from 'nodemailer';
import { selfSignedPaths } from '../src/smtp/tls-certificate.js';
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
  'smtp.maxPendingMessages': ['test/smtp/backlog-gate.test.ts', 'past the bound the reply to the final dot is held until processing makes room, then 250 and stored'],
  'smtp.maxPendingSeconds': ['test/smtp/backlog-bound.test.ts', 'smtp.maxPendingSeconds bounds the queue for the parse workers, not what they hold or what waits for its commit'],
  'smtp.maxPendingWaitSeconds': ['test/smtp/backlog-gate.test.ts', 'smtp.maxPendingWaitSeconds: when the wait runs out the held message gets 451 4.3.0 and nothing is stored'],
  'storage.maxDatabaseBytes': ['test/smtp/storage-failure.test.ts', 'at storage.maxDatabaseBytes a write fails with SQLITE_FULL'],
  'storage.engine': ['test/store/engine-choice.test.ts', 'storage.engine postgres with no server answering: startNode fails with the connection error'],
  'storage.postgresUrl': ['test/ingest/pg-nodes.test.ts', 'a message sent to node A is heard on node B, ready and searchable there'],
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
  // Issue 11: websocket and webhooks.
  'websocket.publicInboxes': ['test/push/websocket.test.ts', 'websocket.publicInboxes off: public inboxes may not be watched'],
  'websocket.maxConnectionsPerKey': ['test/push/websocket.test.ts', 'websocket.maxConnectionsPerKey and websocket.maxConnectionsPerIp: past the limit, refused'],
  'websocket.maxConnectionsPerIp': ['test/push/websocket.test.ts', 'websocket.maxConnectionsPerKey and websocket.maxConnectionsPerIp: past the limit, refused'],
  'websocket.pingIntervalMs': ['test/push/websocket.test.ts', 'websocket.pingIntervalMs: the server pings; a peer that never answers is dropped'],
  'websocket.maxBufferedBytes': ['test/push/websocket.test.ts', 'websocket.maxBufferedBytes: a reader that stops reading is dropped'],
  'webhooks.allowPrivateNetworks': ['test/push/webhooks.test.ts', 'default config (webhooks.allowPrivateNetworks false): a webhook to 127.0.0.1 is refused'],
  'webhooks.allowedPorts': ['test/push/webhooks.test.ts', 'webhooks.allowedPorts: a port not in the list is refused before any connection'],
  'webhooks.timeoutMs': ['test/push/webhooks.test.ts', 'webhooks.timeoutMs: a receiver that never answers is cut off at the deadline'],
  'webhooks.retryHours': ['test/push/webhooks.test.ts', 'webhooks.retryHours: 0 gives up after the first failure'],
  // Issue 15: billing through Stripe.
  'billing.stripe.secretKey': ['test/billing/billing.test.ts', '/privacy names Stripe and what Mailroom stores only when billing is on'],
  'billing.stripe.webhookSecret': ['test/billing/billing.test.ts', 'bad-input 67: webhook: a wrong, missing, stale or tampered signature is 400 and nothing changes'],
  'billing.stripe.apiBase': ['test/billing/billing.test.ts', 'purchase: Checkout from the account page'],
  'billing.gracePeriodDays': ['test/billing/billing.test.ts', 'lapse -> grace -> release'],
  'billing.plans': ['test/billing/billing.test.ts', 'purchase: Checkout from the account page'],
  'billing.free.privateAddresses': ['test/billing/billing.test.ts', 'the free grant applies to accounts without a plan and is shown on the account page'],
  'billing.free.customDomains': ['test/billing/plan-limits.test.ts', 'customDomains: adding one over the plan is 402'],
  'billing.free.captureMessagesPerMonth': ['test/billing/plan-limits.test.ts', 'captureMessagesPerMonth: counted per recipient copy and calendar month (UTC)'],
  'billing.free.storageMessages': ['test/billing/plan-limits.test.ts', 'storageMessages and retentionDays replace the retention settings for the account'],
  'billing.free.retentionDays': ['test/billing/plan-limits.test.ts', 'storageMessages and retentionDays replace the retention settings for the account'],
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

/** The certificate a listener offers after STARTTLS, as PEM. */
async function starttlsCertificate(port: number): Promise<string> {
  const c = await RawSmtp.connect(port);
  await c.hello();
  assert.is((await c.command('STARTTLS')).code, 220);
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ socket: c.socket, rejectUnauthorized: false }, () => {
      resolve(sock.getPeerX509Certificate()!.toString().trim());
      sock.destroy();
    });
    sock.once('error', reject);
  });
}

function makeCertificate(dir: string, cn: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
}

shows(['smtp.tls.cert', 'smtp.tls.key'], 'STARTTLS offers the configured certificate (else a self-signed one) and picks up a renewed one without a restart', async () => {
  const dir = tempDir();
  makeCertificate(dir, 'mx.mailroom.test');
  const plain = await startTestMailroom();
  const tls = await startTestMailroom({ smtp: { tls: { cert: `${dir}/cert.pem`, key: `${dir}/key.pem` } } as never });
  try {
    assert.is(await starttlsCertificate(plain.smtpAddress.port), readFileSync(selfSignedPaths(plain.config.storage.dataDir).cert, 'utf8').trim(), 'no certificate configured: the self-signed one');
    assert.is(await starttlsCertificate(tls.smtpAddress.port), readFileSync(`${dir}/cert.pem`, 'utf8').trim(), 'the configured certificate');
    assert.not.ok(existsSync(selfSignedPaths(tls.config.storage.dataDir).cert), 'none generated when one is configured');
    // A renewal replaces the files; the listener offers the new one (the check also runs on a timer and on file change).
    const renewed = tempDir();
    makeCertificate(renewed, 'renewed.mailroom.test');
    writeFileSync(`${dir}/key.pem`, readFileSync(`${renewed}/key.pem`));
    writeFileSync(`${dir}/cert.pem`, readFileSync(`${renewed}/cert.pem`));
    utimesSync(`${dir}/cert.pem`, new Date(), new Date(Date.now() + 5000));
    assert.ok(await tls.certificate.refresh(), 'the change is seen');
    assert.is(await starttlsCertificate(tls.smtpAddress.port), readFileSync(`${renewed}/cert.pem`, 'utf8').trim(), 'the renewed certificate, no restart');
  } finally {
    await plain.cleanup();
    await tls.cleanup();
  }
});

async function captureLogin(port: number, user: string, key: string): Promise<RawSmtp> {
  const c = await RawSmtp.connect(port);
  await c.hello();
  const auth = await c.command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${key}`).toString('base64')}`);
  assert.is(auth.code, 235, `AUTH: ${auth.code} ${auth.text}`);
  return c;
}

shows(
  ['capture.port', 'capture.allowPlainAuth', 'capture.maxMessageSize', 'capture.messagesPerHour'],
  'the capture listener binds its port (0: none), takes AUTH in plain text only when allowed, and applies its size and hourly limits',
  async () => {
    const port = await freePort('127.0.0.1');
    const m = await startTestMailroom({ capture: { port, allowPlainAuth: true, maxMessageSize: 2048, messagesPerHour: 1 } } as never);
    const off = await startTestMailroom();
    try {
      assert.is(m.captureAddress!.port, port);
      assert.is(off.capture, null, 'capture.port 0: no listener');
      const u = await m.store.users.create({ username: 'cfg', role: 'user' });
      const key = m.store.keys.create(u.id, 'k').key;
      const c = await captureLogin(port, 'cfg', key);
      const big = await c.command('MAIL FROM:<cfg@example.org> SIZE=5000');
      assert.is(big.code, 552, 'over capture.maxMessageSize');
      assert.match(big.text, /2048/);
      assert.is((await c.send('cfg@example.org', ['x@example.com'], simpleMessage({ to: 'x@example.com', subject: 'one' }))).code, 250);
      const second = await c.command('MAIL FROM:<cfg@example.org>');
      assert.is(second.code, 450, 'messagesPerHour 1: the second waits');
      assert.match(second.text, /4\.7\.1/);
      await c.quit();
    } finally {
      await m.cleanup();
      await off.cleanup();
    }
  },
);

shows(['capture.implicitTls', 'capture.maxStoredMessages'], 'the capture port speaks TLS from the first byte, and an account stops at its stored-message limit', async () => {
  const m = await startTestMailroom({ capture: { implicitTls: true, maxStoredMessages: 1 } } as never, { capture: true });
  try {
    const u = await m.store.users.create({ username: 'tlsuser', role: 'user' });
    const key = m.store.keys.create(u.id, 'k').key;
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: m.captureAddress!.port, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'tlsuser', pass: key } });
    const first = await t.sendMail({ from: 'tlsuser', to: 'a@example.com', subject: 'first', text: 'x' });
    assert.match(first.response, /^250 /);
    try {
      await t.sendMail({ from: 'tlsuser', to: 'a@example.com', subject: 'second', text: 'x' });
      assert.unreachable('the second message is over maxStoredMessages');
    } catch (err) {
      assert.is((err as { responseCode?: number }).responseCode, 452);
    }
    // Plain text on an implicit-TLS port gets no SMTP greeting.
    const plain = await RawSmtp.connect(m.captureAddress!.port);
    const greeting = await plain.reply(2000).catch(() => ({ code: -1, text: '' }));
    assert.is.not(greeting.code, 220);
    plain.socket.destroy();
  } finally {
    await m.cleanup();
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
