// The store's durability settings and schema, on real temp files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, verifyPragmas, StoreConfigError, PAGE_SIZE } from '../../src/store/db.js';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';
import { sqlValue, withDatabaseFile } from '../helpers/database-file.js';

test('bad-input 11: WAL and synchronous=FULL on open, and again after a reopen', () => {
  const file = path.join(tempDir(), 'm.db');
  let db = openDatabase(file);
  assert.is(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.is(db.pragma('synchronous', { simple: true }), 2);
  db.close();
  // A plain reopen comes back at the default, which is why every open sets it.
  const plain = new Database(file);
  assert.is.not(plain.pragma('synchronous', { simple: true }), 2);
  plain.close();
  db = openDatabase(file);
  assert.is(db.pragma('synchronous', { simple: true }), 2);
  assert.is(db.pragma('secure_delete', { simple: true }), 1);
  db.close();
});

test('a new file gets 16 KiB pages and incremental auto-vacuum; a file made with 4 KiB pages keeps them', () => {
  const file = path.join(tempDir(), 'm.db');
  const db = openDatabase(file);
  assert.is(PAGE_SIZE, 16384);
  assert.is(db.pragma('page_size', { simple: true }), PAGE_SIZE);
  assert.is(db.pragma('auto_vacuum', { simple: true }), 2);
  db.close();
  const oldFile = path.join(tempDir(), 'old.db');
  const old = new Database(oldFile);
  old.pragma('page_size = 4096');
  old.exec('CREATE TABLE before_016 (x)');
  old.close();
  const reopened = openDatabase(oldFile);
  assert.is(reopened.pragma('page_size', { simple: true }), 4096, 'changing it would take a VACUUM: an old file upgrades as it is');
  reopened.close();
});

test('verifyPragmas refuses a connection that is not WAL + FULL', () => {
  const db = new Database(path.join(tempDir(), 'plain.db'));
  db.pragma('journal_mode = DELETE');
  assert.throws(() => verifyPragmas(db), (e: unknown) => e instanceof StoreConfigError && /synchronous/.test((e as Error).message));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  assert.throws(() => verifyPragmas(db), (e: unknown) => e instanceof StoreConfigError);
  db.pragma('synchronous = FULL');
  verifyPragmas(db);
  db.close();
});

test('migrations run once and are recorded', () => {
  const dir = tempDir();
  const s1 = openStore(dir);
  const versions = withDatabaseFile(s1, (db) => db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()) as number[];
  assert.ok(versions.includes(1));
  s1.close();
  const s2 = openStore(dir);
  assert.equal(withDatabaseFile(s2, (db) => db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()), versions);
  s2.close();
});

function incoming(inboxes: string[], body = 'body') {
  return {
    raw: Buffer.from(`Subject: t\r\n\r\n${body}\r\n`),
    mailFrom: 'a@example.org',
    recipients: inboxes.map((i) => ({ inbox: i, original: i, domain: i.split('@')[1] })),
    ip: '127.0.0.1',
    helo: 'h',
    tls: false,
    received: Date.now(),
  };
}

test('raw source is compressed when that saves space, and read back byte-exact', () => {
  const s = openStore(tempDir());
  const body = 'compressible text line\r\n'.repeat(400);
  const ids = s.messages.insertReceived(incoming(['z@mailroom.test'], body));
  const row = withDatabaseFile(s, (db) => db.prepare('SELECT raw_encoding, length(raw) AS stored, size FROM contents WHERE id = ?').get(ids.contentId)) as any;
  assert.is(row.raw_encoding, 'deflate');
  assert.ok(row.stored < row.size / 5, `stored ${row.stored} of ${row.size}`);
  assert.is(s.messages.raw(ids.contentId)!.toString(), `Subject: t\r\n\r\n${body}\r\n`);
  s.close();
});

test('deleting the last entry of a content removes the content, its attachments and unshared blobs', async () => {
  const s = openStore(tempDir());
  const a = s.messages.insertReceived(incoming(['d1@mailroom.test', 'd2@mailroom.test']));
  const b = s.messages.insertReceived(incoming(['d3@mailroom.test']));
  const att = (content: Buffer, sha: string) => ({ filename: 'f.bin', contentType: 'application/octet-stream', size: content.length, cid: '', md5: 'm' + sha, sha256: sha, inline: false, content });
  const parsed = (attachments: any[]) => ({ ok: true, error: '', subject: 's', from: [], to: [], cc: [], bcc: [], replyTo: [], date: null, messageId: '', text: '', html: '', headers: [], links: [], attachments });
  s.messages.applyParse(a.contentId, parsed([att(Buffer.from('shared'), 'sha-shared'), att(Buffer.from('own'), 'sha-own')]));
  s.messages.applyParse(b.contentId, parsed([att(Buffer.from('shared'), 'sha-shared')]));
  const count = (t: string) => sqlValue(s, `SELECT count(*) FROM ${t}`);
  assert.ok(s.messages.delete(a.messageIds[0]));
  assert.is(count('contents'), 2, 'content kept while another inbox still has it');
  assert.ok(s.messages.delete(a.messageIds[1]));
  assert.is(count('contents'), 1);
  assert.is(count('blobs'), 1, 'the shared blob stays, the unshared one goes');
  assert.is(s.messages.attachmentData('sha-own'), null);
  assert.ok(s.messages.attachmentData('sha-shared'));
  assert.not.ok(s.messages.delete(a.messageIds[1]), 'deleting twice is a no-op');
  s.close();
});

test('group commit: writes submitted together share one transaction; a failing one does not fail its neighbours', async () => {
  const s = openStore(tempDir());
  const gc = s.committer;
  const ok = (n: number) => gc.submit(() => s.messages.insertReceived(incoming([`g${n}@mailroom.test`])));
  const bad = gc.submit(() => {
    throw new Error('this write cannot be stored');
  });
  const results = await Promise.allSettled([ok(1), ok(2), bad, ok(3)]);
  assert.equal(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  for (const n of [1, 2, 3]) assert.is(s.messages.countAll(`g${n}@mailroom.test`), 1);
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => ok(100 + i)));
  assert.is(many.length, 50);
  assert.ok(gc.maxBatch >= 50, `batched ${gc.maxBatch}`);
  s.close();
});

test('keyset paging lists newest first without gaps or repeats', () => {
  const s = openStore(tempDir());
  const t0 = 1_700_000_000_000;
  const parsed = { ok: true, error: '', subject: 's', from: [], to: [], cc: [], bcc: [], replyTo: [], date: null, messageId: '', text: '', html: '', headers: [], links: [], attachments: [] };
  for (let i = 0; i < 25; i++) {
    const ids = s.messages.insertReceived({ ...incoming(['page@mailroom.test']), received: t0 + Math.floor(i / 3) * 1000 });
    s.messages.applyParse(ids.contentId, parsed);
  }
  const seen: string[] = [];
  let before: { received: number; seq: number } | undefined;
  for (;;) {
    const page = s.messages.list('page@mailroom.test', { limit: 7, before });
    if (!page.length) break;
    seen.push(...page.map((m) => m.id));
    const last = page[page.length - 1];
    before = { received: last.received, seq: last.seq };
  }
  assert.is(seen.length, 25);
  assert.is(new Set(seen).size, 25);
  const all = s.messages.list('page@mailroom.test', { limit: 100 });
  assert.equal(all.map((m) => m.id), seen);
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].received >= all[i].received);
  assert.is(s.messages.list('page@mailroom.test', { limit: 100, until: t0 + 1000 }).length, 3);
  s.close();
});

test.run();
