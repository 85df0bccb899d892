// Search shows each copy only what its reader may see (issue 13 item 5): one
// message sent to a public inbox, a private one and a Bcc recipient is stored
// once, but searching the public copy must not match the other recipients'
// addresses, which exist only in the envelope. Header addresses (From, To,
// Cc) are visible on every copy and stay searchable; each copy's own
// recipient address finds it in its own inbox.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { api, makeUser, startApiMailroom, type TestMailroom } from '../api/_helpers.js';
import { deliver } from './web-client.js';
import { reindexSearch } from '../../src/store/search-reindex.js';
import { withDatabaseFile } from '../helpers/database-file.js';

const PUBLIC = 'open.box@mailroom.test';
const PRIVATE = 'zebracrossing@mailroom.test';
const BCC = 'quokkahidden@mailroom.test';

let m: TestMailroom;
let owner: { id: number; key: string };

test.before(async () => {
  m = await startApiMailroom();
  owner = await makeUser(m.store, 'zowner');
  m.store.addresses.reserve(PRIVATE, owner.id);
  const raw = ['From: Sender <sender@example.org>', `To: ${PUBLIC}`, 'Cc: Visible Person <visiblecc@example.org>', 'Subject: shared announcement', '', 'lunch is at noon', ''].join('\r\n');
  assert.is(await deliver(m.smtpAddress.port, [PUBLIC, PRIVATE, BCC], raw), 250);
  await m.parseQueue.idle();
});

test.after(async () => {
  await m?.cleanup();
});

const search = (inbox: string, q: string, key?: string) => api(m, 'GET', `/api/inbox-search?fulltext=true&inbox=${encodeURIComponent(inbox)}&query=${encodeURIComponent(q)}`, { key });

test('searching a public copy does not match the private or Bcc co-recipients', async () => {
  for (const q of ['zebracrossing', 'quokkahidden', PRIVATE, BCC]) {
    const res = await search(PUBLIC, q);
    assert.is(res.status, 200);
    assert.is(res.json.messages.length, 0, `public search for ${q} matched`);
  }
  // The UI's search answers the same.
  const page = await fetch(`${m.http}/search?inbox=${PUBLIC}&q=zebracrossing`);
  assert.not.match(await page.text(), /shared announcement/);
});

test('header addresses, subject and body still find every copy; a copy is found by its own address', async () => {
  for (const q of ['visiblecc', 'sender@example.org', 'announcement', 'noon', 'open.box']) {
    assert.is((await search(PUBLIC, q)).json.messages.length, 1, q);
  }
  assert.is((await search(PRIVATE, 'zebracrossing', owner.key)).json.messages.length, 1, 'own address');
  assert.is((await search(BCC, BCC)).json.messages.length, 1, 'Bcc copy by its own address');
  assert.is((await search(BCC, 'zebracrossing')).json.messages.length, 0, 'Bcc copy by a co-recipient');
});

test('reindexing mail indexed the old way drops the envelope recipients', async () => {
  // As migration 003's trigger indexed it: envelope recipients in the address column.
  withDatabaseFile(
    m.store,
    (db) => {
      const row = db.prepare('SELECT id, subject, rcpt_to FROM contents LIMIT 1').get() as { id: number; subject: string; rcpt_to: string };
      db.prepare('DELETE FROM message_fts WHERE rowid = ?').run(row.id);
      db.prepare('INSERT INTO message_fts (rowid, subject, addresses, body) VALUES (?, ?, ?, ?)').run(row.id, row.subject, JSON.parse(row.rcpt_to).join(' '), 'lunch');
    },
    { write: true },
  );
  assert.is((await search(PUBLIC, 'zebracrossing')).json.messages.length, 1, 'old index matches');
  assert.is(withDatabaseFile(m.store, (db) => reindexSearch(db), { write: true }), 1);
  assert.is((await search(PUBLIC, 'zebracrossing')).json.messages.length, 0);
  assert.is((await search(PUBLIC, 'noon')).json.messages.length, 1);
});

test.run();
