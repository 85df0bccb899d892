// `mailroom migrate-store --to postgres://…` (issue 14) as an operator runs
// it: a real child process copying a 10,000-message SQLite store, killed
// with SIGKILL partway through, run again to the end (resumed, verified,
// nothing duplicated, raw bytes identical), and once more (nothing to do).
// Plus: a target holding other data is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { postgresForTests } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/temp.js';
import { withDatabaseFile } from '../../helpers/database-file.js';
import { openStore } from '../../../src/store/index.js';
import { Seeder } from '../../../scripts/bench/seed.js';
import { searchMessageIds } from '../../../src/store/pg/message-search.js';
import { COPIED_TABLES } from '../../../src/store/pg/copy-from-sqlite.js';
import { decodeBody } from '../../../src/store/body-codec.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MESSAGES = 10_000;

const pg = await postgresForTests(test, { migrate: false });
const other = pg && (await postgresForTests(test));

function runCommand(dataDir: string, url: string, extra: string[] = []): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'migrate-store', '--to', url, ...extra], {
    cwd: ROOT,
    env: { ...process.env, MAILROOM_CONFIG: path.join(ROOT, 'config/mailroom.yaml'), MAILROOM_DATA_DIR: dataDir, MAILROOM_DOMAINS: 'mailroom.test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** A store with accounts, keys, an owned address, audit entries and 10,000 messages (some with attachments, 5% to two inboxes). */
function seedStore(dir: string, messages: number): { raw: Map<number, Buffer>; subjectWord: string } {
  const store = openStore(dir);
  const alice = store.users.createWithoutPassword({ username: 'alice', email: 'alice@example.com' });
  const bob = store.users.createWithoutPassword({ username: 'bob' });
  // A removed account: its id must never be handed out again on PostgreSQL either.
  const gone = store.users.createWithoutPassword({ username: 'gone' });
  store.users.remove(gone.id);
  store.keys.create(alice.id, 'ci');
  store.keys.create(bob.id, 'laptop');
  store.addresses.reserve('user1@mailroom.test', alice.id, { webhook: 'https://hooks.example/a' });
  store.audit.record({ actor: 'cli', action: 'export', target: 'user1@mailroom.test', detail: { messages: 1 } });
  const seeder = new Seeder(store, { inboxes: 200, bodies: 300, batch: 2000 });
  seeder.add(messages);
  const subjectWord = seeder.searchQueries()[2]!;
  store.close();
  const raw = new Map<number, Buffer>();
  withDatabaseFile(
    store,
    (db) => {
      // A message parsed before SQLite migration 005 keeps its body in the plain columns (PostgreSQL has only body_z),
      db.prepare(`UPDATE contents SET body_z = NULL, text = 'legacy body quetzalcoatlus', html = '<p>legacy</p>', headers_json = '[["subject","old"]]' WHERE id = 7`).run();
      // and a hostile subject holds a NUL, which PostgreSQL text cannot.
      db.prepare(`UPDATE contents SET subject = 'before' || char(0) || 'after' WHERE id = 8`).run();
    },
    { write: true },
  );
  withDatabaseFile(store, (db) => {
    for (const id of [1, 2, Math.floor(messages / 2), messages]) raw.set(id, db.prepare('SELECT raw FROM contents WHERE id = ?').pluck().get(id) as Buffer);
  });
  return { raw, subjectWord };
}

test('every data table of the SQLite schema is copied (a new table must be added to COPIED_TABLES)', () => {
  const store = openStore(tempDir());
  store.close();
  const tables = withDatabaseFile(store, (db) => db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]);
  // Not data: the FTS5 index and its shadow tables (rebuilt as the tsvector), SQLite's own, and each engine's migration record.
  const data = tables.filter((t) => !t.startsWith('message_fts') && !t.startsWith('sqlite_') && t !== 'schema_migrations').sort();
  assert.equal(COPIED_TABLES.map((t) => t.name).sort(), data);
});

if (pg && other) {
  test.after(async () => {
    await pg.drop();
    await other.drop();
  });

  const dir = tempDir();
  let seeded: ReturnType<typeof seedStore>;

  test('a 10,000-message store, killed partway through the copy, resumes without duplicates and verifies', async () => {
    seeded = seedStore(dir, MESSAGES);
    const sqliteCount = (table: string) => withDatabaseFile({ file: path.join(dir, 'mailroom.db') }, (db) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number);
    const totalCopies = sqliteCount('messages');
    assert.ok(totalCopies > MESSAGES, 'some messages have two copies');
    const sql = pg.pool({ max: 1 });

    // First run: small batches, killed once the progress table shows some but not all messages.
    const first = runCommand(dir, pg.url, ['--batch', '200']);
    let copiedAtKill = -1;
    for (;;) {
      const code = first.child.exitCode;
      assert.is(code, null, `the first run ended before it could be killed:\n${first.output()}`);
      const rows = await sql<{ copied: number }[]>`
        SELECT copied FROM migrate_store_progress WHERE table_name = 'messages'`.catch(() => []);
      if (rows.length && rows[0].copied > 0 && rows[0].copied < totalCopies) {
        first.child.kill('SIGKILL');
        copiedAtKill = rows[0].copied;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await first.exited;
    assert.ok(copiedAtKill > 0);
    // What a killed run leaves: whole batches, each with its high-water mark.
    const [{ count: afterKill }] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM messages`;
    const [{ copied: markAfterKill }] = await sql<{ copied: number }[]>`SELECT copied FROM migrate_store_progress WHERE table_name = 'messages'`;
    assert.is(afterKill, markAfterKill);
    assert.ok(afterKill < totalCopies, 'the kill came before the end');
    assert.is((await sql`SELECT 1 FROM contents`).length, MESSAGES, 'contents are copied before messages');

    // Second run: continues, verifies, exits 0.
    const second = runCommand(dir, pg.url);
    assert.is(await second.exited, 0, second.output());
    assert.match(second.output(), /resumed/);
    assert.match(second.output(), /verification passed/);
    assert.match(second.output(), /messages\s+\d+\/\d+ rows/);
    for (const t of COPIED_TABLES) {
      const [{ count }] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM ${sql(t.name)}`;
      assert.is(count, sqliteCount(t.name), `${t.name}: rows in PostgreSQL equal SQLite's`);
    }
    assert.ok(totalCopies > 0 && sqliteCount('attachments') > 0 && sqliteCount('api_keys') === 2 && sqliteCount('addresses') === 1);
    // Raw bytes as stored (already deflated: copied, not recompressed).
    for (const [id, raw] of seeded.raw) {
      const [row] = await sql<{ raw: Buffer }[]>`SELECT raw FROM contents WHERE id = ${id}`;
      assert.ok(Buffer.compare(row!.raw, raw) === 0, `contents ${id}: raw bytes identical`);
    }
    // The search vector is rebuilt: a rare word of the seeded text is found.
    assert.ok((await searchMessageIds(sql, seeded.subjectWord, { limit: 1000 })).length > 0, 'migrated mail is searchable');
    const [legacy] = await sql<{ body_z: Buffer }[]>`SELECT body_z FROM contents WHERE id = 7`;
    assert.equal(decodeBody(legacy!.body_z), { text: 'legacy body quetzalcoatlus', html: '<p>legacy</p>', headers: [['subject', 'old']] });
    assert.is((await searchMessageIds(sql, 'quetzalcoatlus')).length, (await sql`SELECT 1 FROM messages WHERE content_id = 7`).length);
    const [{ subject }] = await sql<{ subject: string }[]>`SELECT subject FROM contents WHERE id = 8`;
    assert.is(subject, 'before\uFFFDafter');
    const [{ n: notSearchable }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM contents WHERE search IS NULL AND parse_state <> 'pending'`;
    assert.is(notSearchable, 0);
    // Identity sequences continue past the copied ids, and past the removed account's id.
    const [{ id: newUser }] = await sql<{ id: number }[]>`
      INSERT INTO users (username, created, updated) VALUES ('carol', 0, 0) RETURNING id`;
    assert.is(newUser, 4, 'user ids 1-3 were used on SQLite (3 removed): the next is 4');
    await sql`DELETE FROM users WHERE id = ${newUser}`;
    const [{ seq }] = await sql<{ seq: number }[]>`SELECT nextval(pg_get_serial_sequence('messages', 'seq')) AS seq`;
    assert.ok(seq > totalCopies);
  });

  test('a second run after a complete copy does nothing and says so', async () => {
    const sql = pg.pool({ max: 1 });
    const [{ before }] = await sql<{ before: number }[]>`SELECT sum(copied)::int AS before FROM migrate_store_progress`;
    const again = runCommand(dir, pg.url);
    assert.is(await again.exited, 0, again.output());
    assert.match(again.output(), /nothing to copy/);
    assert.match(again.output(), /verification passed/);
    const [{ after }] = await sql<{ after: number }[]>`SELECT sum(copied)::int AS after FROM migrate_store_progress`;
    assert.is(after, before);
  });

  test('a change on the SQLite side after the copy fails the verification', async () => {
    // The copy is of a snapshot: a row deleted afterwards is a difference the verification must show.
    // A row gone, and a column of a copied row changed (not a key, not bytes: a message marked read).
    withDatabaseFile(
      { file: path.join(dir, 'mailroom.db') },
      (db) => {
        db.prepare(`DELETE FROM api_keys WHERE name = 'laptop'`).run();
        db.prepare(`UPDATE messages SET read = 1 - read WHERE seq = 5`).run();
      },
      { write: true },
    );
    const run = runCommand(dir, pg.url);
    assert.is(await run.exited, 1, run.output());
    assert.match(run.output(), /api_keys\s+1\s+2\s+\S+\s+DIFFERS/);
    assert.match(run.output(), /messages\s+(\d+)\s+\1\s+\S+\s+DIFFERS/);
    assert.match(run.output(), /verification FAILED: api_keys, messages differ/);
    assert.match(run.output(), /users\s+\d+\s+\d+\s+\S+\s+ok/);
  });

  test('a target holding another store copy is refused', async () => {
    const otherDir = tempDir();
    const s = openStore(otherDir);
    s.users.createWithoutPassword({ username: 'someone-else' });
    s.close();
    const run = runCommand(otherDir, pg.url);
    assert.is(await run.exited, 1, run.output());
    assert.match(run.output(), /already holds a copy of another store/);
  });

  test('a target holding data that migrate-store did not copy is refused, and left as it was', async () => {
    const sql = other.pool({ max: 1 });
    await sql`INSERT INTO users (username, created, updated) VALUES ('node-user', 0, 0)`;
    const run = runCommand(dir, other.url);
    assert.is(await run.exited, 1, run.output());
    assert.match(run.output(), /already holds data that migrate-store did not copy from this store \(in users\)/);
    assert.is((await sql`SELECT 1 FROM users`).length, 1);
    assert.is((await sql`SELECT 1 FROM migrate_store_progress`).length, 0);
  });
}

test.run();
