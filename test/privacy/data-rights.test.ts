// Data rights (issue 4): export and delete everything held for an address or
// an account. Done means: after "delete everything for address X", no route,
// search, export, count, or raw byte scan of the database file and its WAL
// finds a marker that was only in X's messages (bad-input 69); another
// owner's address is 403 (bad-input 68); deleting again is a no-op.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ADMIN_KEY, api, makeUser, sendMail, startApiMailroom, type TestMailroom } from '../api/_helpers.js';
import { safeEntryName } from '../../src/privacy/zip.js';
import { mboxEntry } from '../../src/services/data-rights.js';
import { runCli } from '../../src/cli/main.js';
import { tempDir } from '../helpers/temp.js';
import { unzip } from '../helpers/unzip.js';
import { sqlValue, withDatabaseFile } from '../helpers/database-file.js';

const MARKER = 'zq7xmarkerkeepout4217';
const OTHER_MARKER = 'zq7xmarkerstays9981';
const X = 'gone.box@mailroom.test';
const Y = 'stays.box@mailroom.test';

function scanFiles(m: TestMailroom, needle: string): string[] {
  const hits: string[] = [];
  const lower = Buffer.from(needle.toLowerCase());
  for (const f of ['mailroom.db', 'mailroom.db-wal', 'mailroom.db-shm']) {
    const p = path.join(m.config.storage.dataDir, f);
    if (!existsSync(p)) continue;
    const bytes = readFileSync(p);
    // Case-insensitive: the search index keeps words lower-cased.
    if (bytes.includes(Buffer.from(needle)) || Buffer.from(bytes.toString('latin1').toLowerCase(), 'latin1').includes(lower)) hits.push(f);
  }
  return hits;
}

test('delete everything for an address: no route, search, export, count or byte of the file and WAL keeps its marker', async () => {
  const m = await startApiMailroom();
  try {
    const owner = await makeUser(m.store, 'xowner');
    const other = await makeUser(m.store, 'xother');
    m.store.addresses.reserve(X, owner.id);
    m.store.addresses.reserve(Y, owner.id);
    // Big enough that the raw source is stored compressed, and the marker is in
    // the subject, the text, a header, an attachment name and its content.
    const filler = 'lorem ipsum dolor sit amet '.repeat(200);
    for (let i = 0; i < 3; i++) {
      await sendMail(m, {
        to: X,
        subject: `Hello ${MARKER} number ${i}`,
        text: `${filler}\nthe secret is ${MARKER}\n`,
        headers: { 'X-Marker': MARKER },
        attachments: [{ filename: `${MARKER}.txt`, content: `attachment says ${MARKER} ${i}` }],
      });
    }
    await sendMail(m, { to: Y, subject: `Keep ${OTHER_MARKER}`, text: `stays ${OTHER_MARKER}` });
    const [first] = m.store.messages.list(X);
    assert.ok(first);
    m.store.messages.setStarred(first!.id, true); // starred mail goes too: "everything"
    m.store.messages.setLabels(first!.id, ['work']);

    // Before: the marker is everywhere it should be.
    assert.is((await api(m, 'GET', `/api/inbox-search?query=${MARKER}`, { key: owner.key })).json.messages.length, 3);
    const exp = await fetch(`${m.http}/api/addresses/${X}/export`, { headers: { 'Mailsac-Key': owner.key } });
    assert.is(exp.status, 200);
    assert.is(exp.headers.get('content-type'), 'application/zip');
    assert.match(exp.headers.get('content-disposition') ?? '', /^attachment; filename="mailroom-export-gone\.box@mailroom\.test\.zip"$/);
    const files = unzip(Buffer.from(await exp.arrayBuffer()));
    assert.equal([...files.keys()].sort(), ['manifest.json', `mbox/${X}.mbox`]);
    const mbox = files.get(`mbox/${X}.mbox`)!.toString('latin1');
    assert.is(mbox.match(/^From sender@example\.org /gm)?.length, 3);
    assert.ok(mbox.includes(MARKER));
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8'));
    assert.is(manifest.messages.length, 3);
    assert.equal(manifest.messages.find((x: { id: string }) => x.id === first!.id).labels, ['work']);
    assert.ok(manifest.audit.some((e: { action: string; target: string }) => e.action === 'export' && e.target === X), 'the manifest lists the export itself');

    // Another owner's address: 403, for export and delete alike (bad-input 68).
    assert.is((await api(m, 'GET', `/api/addresses/${X}/export`, { key: other.key })).status, 403);
    assert.is((await api(m, 'DELETE', `/api/addresses/${X}/data`, { key: other.key })).status, 403);
    assert.is((await api(m, 'GET', `/api/addresses/${X}/export`)).status, 401);

    const del = await api(m, 'DELETE', `/api/addresses/${X}/data`, { key: owner.key });
    assert.is(del.status, 200);
    assert.is(del.json.deletedMessages, 3);
    assert.is(del.json.walTruncated, true);

    // Routes, counts, search and export.
    assert.is((await api(m, 'GET', `/api/addresses/${X}/messages`, { key: owner.key })).json.length, 0);
    assert.is((await api(m, 'GET', `/api/addresses/${X}/message-count`, { key: owner.key })).json.count, 0);
    assert.is((await api(m, 'GET', `/api/addresses/${X}/messages/${first!.id}`, { key: owner.key })).status, 404);
    assert.is((await api(m, 'GET', `/api/raw/${X}/${first!.id}`, { key: owner.key })).status, 404);
    assert.is((await api(m, 'GET', `/api/inbox-search?query=${MARKER}`, { key: ADMIN_KEY })).json.messages.length, 0);
    assert.is((await api(m, 'GET', `/api/inbox-filter?andSubjectIncludes=${MARKER}`, { key: ADMIN_KEY })).json.messages.length, 0);
    assert.is((await api(m, 'GET', `/api/me/stats`, { key: owner.key })).json.storedMessages, 1);
    const again = await fetch(`${m.http}/api/addresses/${X}/export`, { headers: { 'Mailsac-Key': ADMIN_KEY } });
    const after = unzip(Buffer.from(await again.arrayBuffer()));
    assert.not.ok(after.get(`mbox/${X}.mbox`)!.toString('latin1').includes(MARKER));
    assert.is(JSON.parse(after.get('manifest.json')!.toString()).messages.length, 0);
    const page = await fetch(`${m.http}/inbox/${X}`, { headers: { 'Mailsac-Key': owner.key } });
    assert.not.ok((await page.text()).includes(MARKER));
    // SQL over every table and the search index.
    const sqlHits = sqlValue(m.store, `SELECT count(*) FROM contents WHERE subject LIKE ? OR text LIKE ? OR headers_json LIKE ?`, `%${MARKER}%`, `%${MARKER}%`, `%${MARKER}%`);
    assert.is(sqlHits, 0);
    assert.is(sqlValue(m.store, `SELECT count(*) FROM attachments WHERE filename LIKE ?`, `%${MARKER}%`), 0);
    assert.is(sqlValue(m.store, `SELECT count(*) FROM message_fts WHERE message_fts MATCH ?`, `"${MARKER}"`), 0);

    // The bytes of the database file and its WAL.
    if (process.env.DEBUG_SCAN) {
      const bytes = readFileSync(path.join(m.config.storage.dataDir, 'mailroom.db'));
      const lower = bytes.toString('latin1').toLowerCase();
      let at = lower.indexOf(MARKER);
      const ps = sqlValue(m.store, 'PRAGMA page_size') as number;
      while (at >= 0) {
        const page = Math.floor(at / ps) + 1;
        const owner = sqlValue(m.store, 'SELECT name FROM dbstat WHERE pageno = ?', page);
        console.log('hit at', at, 'page', page, 'owner', owner, JSON.stringify(bytes.subarray(at - 40, at + 40).toString('latin1')));
        at = lower.indexOf(MARKER, at + 1);
      }
      withDatabaseFile(m.store, (db) => {
        console.log('config', db.prepare('SELECT * FROM message_fts_config').all());
        console.log('live blocks', db.prepare('SELECT id, length(block) FROM message_fts_data WHERE instr(block, ?) > 0').all(Buffer.from(MARKER)));
      });
    }
    assert.equal(scanFiles(m, MARKER), [], 'no byte of the marker in mailroom.db, -wal or -shm');
    // The control: the other address's marker is still there (so the scan can find things).
    assert.ok((await api(m, 'GET', `/api/inbox-search?query=${OTHER_MARKER}`, { key: owner.key })).json.messages.length === 1);

    // Idempotent.
    const twice = await api(m, 'DELETE', `/api/addresses/${X}/data`, { key: owner.key });
    assert.is(twice.status, 200);
    assert.is(twice.json.deletedMessages, 0);
    // The address stays the owner's; the audit log has the export and both deletions.
    assert.is(m.store.addresses.ownerOf(X), owner.id);
    const log = await api(m, 'GET', '/api/audit', { key: ADMIN_KEY });
    assert.equal(
      log.json.filter((e: { target: string }) => e.target === X).map((e: { action: string; actor: string }) => `${e.actor} ${e.action}`),
      ['xowner delete-data', 'admin export', 'xowner delete-data', 'xowner export'],
    );
  } finally {
    await m.cleanup();
  }
});

test('delete an account: its addresses, their mail, keys and the user; export of an account lists it all', async () => {
  const m = await startApiMailroom();
  try {
    const u = await makeUser(m.store, 'leaver');
    m.store.addresses.reserve('l1@mailroom.test', u.id);
    m.store.addresses.reserve('l2@mailroom.test', u.id);
    await sendMail(m, { to: ['l1@mailroom.test', 'l2@mailroom.test'], subject: `acct ${MARKER}`, text: MARKER });
    const exp = await fetch(`${m.http}/api/users/leaver/export`, { headers: { 'Mailsac-Key': u.key } });
    const files = unzip(Buffer.from(await exp.arrayBuffer()));
    assert.equal([...files.keys()].sort(), ['manifest.json', 'mbox/l1@mailroom.test.mbox', 'mbox/l2@mailroom.test.mbox']);
    const manifest = JSON.parse(files.get('manifest.json')!.toString());
    assert.is(manifest.account.username, 'leaver');
    assert.is(manifest.account.apiKeys.length, 1);
    assert.not.ok(JSON.stringify(manifest).includes(u.key), 'never the key itself');
    assert.is((await api(m, 'GET', '/api/users/admin/export', { key: u.key })).status, 403);

    const del = await api(m, 'DELETE', '/api/users/leaver/data', { key: ADMIN_KEY });
    assert.is(del.status, 200);
    assert.is(del.json.deletedMessages, 2);
    assert.is(del.json.deletedAddresses, 2);
    assert.is(m.store.users.byName('leaver'), null);
    assert.is((await api(m, 'GET', '/api/me', { key: u.key })).status, 401, 'its keys are gone');
    assert.equal(scanFiles(m, MARKER), []);
    assert.is((await api(m, 'DELETE', '/api/users/leaver/data', { key: ADMIN_KEY })).status, 404);
  } finally {
    await m.cleanup();
  }
});

test('CLI: export with progress to a file, delete with --yes, role change and key creation are audited', async () => {
  const m = await startApiMailroom();
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), stdin: async () => '' };
  const dir = tempDir();
  try {
    const u = await makeUser(m.store, 'cliuser');
    for (let i = 0; i < 450; i++) {
      m.store.messages.insertReceived({ raw: Buffer.from(`Subject: n${i}\r\n\r\nFrom here\r\n>From there\r\n`), mailFrom: 'a@example.org', recipients: [{ inbox: 'bulk@mailroom.test', original: 'bulk@mailroom.test', domain: 'mailroom.test' }], ip: '', helo: '', tls: false, received: Date.now() });
    }
    const file = path.join(dir, 'x.zip');
    assert.is(await runCli(['export', 'address', 'bulk@mailroom.test', '--out', file], { store: m.store, config: m.config }, io), 0);
    assert.ok(err.some((l) => /exported 200\/450/.test(l)), err.join('\n'));
    assert.ok(err.some((l) => /exported 450\/450 messages \(100%\)/.test(l)));
    const mbox = unzip(await readFile(file)).get('mbox/bulk@mailroom.test.mbox')!.toString('latin1');
    // mboxrd: body lines starting with From / >From get one more '>'.
    assert.is(mbox.match(/^From a@example\.org /gm)?.length, 450);
    assert.is(mbox.match(/^>From here$/gm)?.length, 450);
    assert.is(mbox.match(/^>>From there$/gm)?.length, 450);
    let refused = false;
    try {
      await runCli(['delete', 'address', 'bulk@mailroom.test'], { store: m.store, config: m.config }, io);
    } catch (e) {
      refused = /--yes/.test((e as Error).message);
    }
    assert.ok(refused, 'no deletion without --yes');
    assert.is(await runCli(['delete', 'address', 'bulk@mailroom.test', '--yes'], { store: m.store, config: m.config }, io), 0);
    assert.match(out[out.length - 1]!, /deleted 450 messages/);
    assert.is(await runCli(['user', 'role', 'cliuser', 'admin'], { store: m.store, config: m.config }, io), 0);
    assert.is(await runCli(['key', 'create', 'cliuser'], { store: m.store, config: m.config }, io), 0);
    const actions = m.store.audit.list().map((e) => `${e.actor} ${e.action} ${e.target}`);
    assert.equal(actions.slice(0, 4), ['cli key-create cliuser', 'cli role-change cliuser', 'cli delete-data bulk@mailroom.test', 'cli export bulk@mailroom.test']);
    void u;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await m.cleanup();
  }
});

test('bad-input 68: archive entry names cannot escape or confuse an unzipper', () => {
  assert.is(safeEntryName('../../etc/passwd'), '_/_/etc/passwd');
  assert.is(safeEntryName('/abs/x.mbox'), 'abs/x.mbox');
  assert.is(safeEntryName('mbox/a\u0000b\r\n<script>.mbox'), 'mbox/a_b___script_.mbox');
  assert.is(safeEntryName('mbox/..\\..\\win.mbox'), 'mbox/__.._win.mbox');
  for (const n of ['../x', '..', '.', 'a/../b', 'C:\\x']) {
    const s = safeEntryName(n);
    assert.not.ok(s.split('/').some((seg) => seg === '..' || seg === '.' || seg.startsWith('.')), s);
    assert.not.ok(s.includes('\\') || s.includes(':'), s);
  }
  assert.is(mboxEntry(Buffer.from('Subject: x\r\n\r\nFrom me\r\n'), 'bad sender\r\n', 0).toString(), 'From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: x\n\n>From me\n\n');
});

test.run();
