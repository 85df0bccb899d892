// Each privacy setting, on and off, changes what is stored, shown and logged,
// and /privacy says so (issue 4).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { startMailroom } from '../../src/main.js';
import { createLogger } from '../../src/log.js';
import { testConfig, startTestMailroom } from '../helpers/mailroom.js';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { ADMIN_KEY, api, makeUser } from '../api/_helpers.js';
import { withDatabaseFile } from '../helpers/database-file.js';

async function send(port: number, to: string, subject = 'hello'): Promise<number> {
  const c = await RawSmtp.connect(port);
  await c.hello('relay.sender.example');
  const r = await c.send('from@example.org', [to], simpleMessage({ to, subject }));
  await c.quit();
  return r.code;
}

const page = async (base: string, path: string, key?: string) => (await fetch(base + path, { headers: key ? { 'Mailsac-Key': key } : {} })).text();

test('privacy.storeSenderIp: on stores and shows the IP and HELO; off stores neither, hides old ones, and /privacy says which', async () => {
  for (const on of [true, false]) {
    const m = await startTestMailroom({ privacy: { storeSenderIp: on } as never, auth: { adminKey: ADMIN_KEY } as never });
    try {
      assert.is(await send(m.smtpAddress.port, 'ip@mailroom.test'), 250);
      await m.parseQueue.idle();
      const row = withDatabaseFile(m.store, (db) => db.prepare(`SELECT ip, helo FROM contents`).get()) as { ip: string; helo: string };
      assert.equal(row, on ? { ip: '127.0.0.1', helo: 'relay.sender.example' } : { ip: '', helo: '' });
      const [msg] = (await api(m, 'GET', '/api/addresses/ip@mailroom.test/messages')).json;
      assert.is(msg.ip, on ? '127.0.0.1' : '');
      // Audit entries carry the reader's IP only when on.
      await api(m, 'GET', '/api/addresses/ip@mailroom.test/export', { key: ADMIN_KEY });
      assert.is(m.store.audit.list()[0]!.ip, on ? '127.0.0.1' : '');
      if (!on) {
        // Mail stored while it was on is not shown once it is off.
        withDatabaseFile(m.store, (db) => db.prepare(`UPDATE contents SET ip = '192.0.2.9'`).run(), { write: true });
        assert.is((await api(m, 'GET', '/api/addresses/ip@mailroom.test/messages')).json[0].ip, '');
      }
      const privacy = await page(m.http, '/privacy');
      assert.ok(privacy.includes(on ? 'The sending server&#39;s IP address and the name' : 'Not the sending server&#39;s IP address'), privacy);
    } finally {
      await m.cleanup();
    }
  }
});

test('privacy.publicInboxes off: unownedHandling signed-in, admin-only, or reject at RCPT; the pages say which', async () => {
  for (const handling of ['signed-in', 'admin-only', 'reject'] as const) {
    const m = await startTestMailroom({ privacy: { publicInboxes: false, unownedHandling: handling } as never, auth: { adminKey: ADMIN_KEY } as never });
    try {
      const u = await makeUser(m.store, 'reader');
      m.store.addresses.reserve('mine@mailroom.test', u.id);
      assert.is(await send(m.smtpAddress.port, 'mine@mailroom.test'), 250, 'owned addresses always receive');
      assert.is(await send(m.smtpAddress.port, 'postmaster@mailroom.test'), 250, 'reserved local parts follow reservedHandling');
      const unowned = await send(m.smtpAddress.port, 'nobody@mailroom.test');
      assert.is(unowned, handling === 'reject' ? 550 : 250);
      await m.parseQueue.idle();
      assert.is(m.store.messages.count('nobody@mailroom.test'), handling === 'reject' ? 0 : 1, 'nothing stored when refused');
      const asUser = (await api(m, 'GET', '/api/addresses/nobody@mailroom.test/messages', { key: u.key })).status;
      const asAdmin = (await api(m, 'GET', '/api/addresses/nobody@mailroom.test/messages', { key: ADMIN_KEY })).status;
      assert.is(asUser, handling === 'signed-in' ? 200 : 401);
      assert.is(asAdmin, 200);
      const home = await page(m.http, '/');
      assert.ok(home.includes(handling === 'signed-in' ? 'Every signed-in user' : handling === 'reject' ? 'refuses mail for addresses nobody owns' : 'Only administrators can read'), home);
      assert.not.ok(home.includes('Public inbox.'));
    } finally {
      await m.cleanup();
    }
  }
  const open = await startTestMailroom();
  try {
    assert.is(await send(open.smtpAddress.port, 'nobody@mailroom.test'), 250);
    const inbox = await page(open.http, '/inbox/nobody@mailroom.test');
    assert.match(inbox, /Public inbox\.<\/strong> Anyone who knows <span class="addr">nobody@mailroom.test<\/span> can read every message/);
    assert.match(inbox, /deleted 4 days \(96 hours\) after it arrives, and at most the newest 6 messages per inbox are kept/);
    // The same sentence on /privacy, from the same source.
    assert.match(await page(open.http, '/privacy'), /deleted 4 days \(96 hours\) after it arrives, and at most the newest 6 messages per inbox are kept/);
  } finally {
    await open.cleanup();
  }
});

test('log.content: off, the "message stored" line has ids only; on, it has the sender and recipients', async () => {
  for (const content of [false, true]) {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const config = testConfig({ log: { level: 'info', content } as never });
    const m = await startMailroom(config, createLogger('info', sink));
    try {
      assert.is(await send(m.smtpAddress.port, 'logged.person@mailroom.test', 'a subject'), 250);
      await m.parseQueue.idle();
      const stored = lines.find((l) => l.includes('message stored'))!;
      assert.ok(stored);
      assert.is(stored.includes('logged.person@mailroom.test'), content);
      assert.is(stored.includes('from@example.org'), content);
      assert.match(await page(`http://127.0.0.1:${m.httpAddress.port}`, '/privacy'), content ? /log\.content is on/ : /log\.content is off/);
    } finally {
      await m.stop();
      rmSync(config.storage.dataDir, { recursive: true, force: true });
    }
  }
});

test('reserved local parts: listed on /privacy with their handling; retention and audit days, cookies and contact are stated', async () => {
  const m = await startTestMailroom({
    privacy: { reservedLocalParts: ['security', 'postmaster'], reservedHandling: 'reject', auditLogDays: 90, loginRecordDays: 7, contact: 'privacy@operator.example' } as never,
    retention: { private: { maxAgeHours: 720, maxMessagesPerAccount: 500 } } as never,
  });
  try {
    const p = await page(m.http, '/privacy');
    assert.match(p, /Mail to security@, postmaster@ addresses is refused/);
    assert.match(p, /Audit log entries: 90 days\./);
    assert.match(p, /Sign-in records: 7 days/);
    assert.match(p, /Mail to private addresses is deleted 30 days \(720 hours\) after it arrives/);
    assert.match(p, /at most 500 messages across its private addresses/);
    assert.match(p, /one cookie, mr_session/);
    assert.match(p, /also set mr_csrf/);
    assert.match(p, /No analytics, no advertising, no third-party scripts/);
    assert.match(p, /ask privacy@operator\.example/);
    // And the page itself sets no cookie and loads nothing from elsewhere.
    const res = await fetch(m.http + '/privacy');
    assert.is(res.headers.get('set-cookie'), null);
    assert.not.match(await res.text(), /(src|href)="https?:/);
    assert.is(await send(m.smtpAddress.port, 'security@mailroom.test'), 550);
  } finally {
    await m.cleanup();
  }
});

test('audit: an admin reading a private inbox or message is recorded (API and UI); the owner reading it is not', async () => {
  const m = await startTestMailroom({ auth: { adminKey: ADMIN_KEY } as never });
  try {
    const u = await makeUser(m.store, 'owns');
    m.store.addresses.reserve('priv@mailroom.test', u.id);
    assert.is(await send(m.smtpAddress.port, 'priv@mailroom.test'), 250);
    await m.parseQueue.idle();
    const [msg] = m.store.messages.list('priv@mailroom.test');
    await api(m, 'GET', '/api/addresses/priv@mailroom.test/messages', { key: u.key });
    assert.is(m.store.audit.count(), 0, 'the owner reading is not recorded');
    await api(m, 'GET', '/api/addresses/priv@mailroom.test/messages', { key: ADMIN_KEY });
    await api(m, 'GET', `/api/addresses/priv@mailroom.test/messages/${msg!.id}`, { key: ADMIN_KEY });
    await page(m.http, `/inbox/priv@mailroom.test/${msg!.id}`, ADMIN_KEY);
    await page(m.http, `/inbox/priv@mailroom.test/${msg!.id}/html`, ADMIN_KEY);
    await api(m, 'GET', '/api/addresses/public@mailroom.test/messages', { key: ADMIN_KEY });
    const entries = m.store.audit.list().map((e) => `${e.actor} ${e.action} ${e.target}`);
    assert.equal(entries, [`admin read-message ${msg!.id}`, `admin read-message ${msg!.id}`, 'admin read-inbox priv@mailroom.test']);
    const auditPage = await page(m.http, '/account/audit', ADMIN_KEY);
    assert.match(auditPage, /read-message/);
    assert.is((await fetch(m.http + '/account/audit', { headers: { 'Mailsac-Key': u.key } })).status, 403);
  } finally {
    await m.cleanup();
  }
});

test.run();
