// Full-text search on the PostgreSQL engine (issue 14): a tsvector column
// under a GIN index, with the SQLite engine's query semantics: every typed
// word must appear, case and accents folded, `word*` a prefix, addresses
// split into words, envelope recipients never indexed, nothing before ready.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { postgresForTests } from '../../helpers/postgres.js';
import { PgMessageWriter } from '../../../src/store/pg/message-writer.js';
import { searchMessageIds } from '../../../src/store/pg/message-search.js';
import { parseMessage } from '../../../src/mail/parse.js';
import { incoming } from './_incoming.js';
import { simpleMessage } from '../../helpers/raw-smtp.js';

const pg = await postgresForTests(test);

if (pg) {
  const sql = pg.pool();
  const writer = new PgMessageWriter(sql);
  test.after(async () => {
    await writer.close();
    await pg.drop();
  });

  async function stored(opts: Parameters<typeof incoming>[0], ready = true): Promise<string> {
    const msg = incoming(opts);
    const ids = await writer.ingest(msg);
    if (ready) await writer.applyParse(ids.contentId, await parseMessage(msg.raw));
    return ids.messageIds[0];
  }

  const body = await stored({ to: ['search@mailroom.test'], subject: 'Quarterly numbers', body: 'The xylophone arrived with a Crème brûlée and order 12345.', from: 'Alice Example <alice@example.com>' });
  const other = await stored({ to: ['search@mailroom.test'], subject: 'Unrelated', body: 'Nothing to see here.' });
  const pending = await stored({ to: ['search@mailroom.test'], subject: 'not ready', body: 'xylophone too' }, false);

  test('a word of the body finds the message; a word it does not hold finds nothing', async () => {
    assert.equal(await searchMessageIds(sql, 'xylophone'), [body]);
    assert.equal(await searchMessageIds(sql, 'XYLOPHONE arrived'), [body], 'every word, any case');
    assert.equal(await searchMessageIds(sql, 'xylophone unrelated'), [], 'all words must appear');
    assert.equal(await searchMessageIds(sql, 'saxophone'), []);
    assert.not.ok((await searchMessageIds(sql, 'xylophone')).includes(pending), 'nothing is searched before it is ready');
  });

  test('accents fold, a trailing * is a prefix, numbers are words', async () => {
    assert.equal(await searchMessageIds(sql, 'creme brulee'), [body]);
    assert.equal(await searchMessageIds(sql, 'xylo*'), [body]);
    assert.equal(await searchMessageIds(sql, 'xylo'), [], 'without * a word matches whole');
    assert.equal(await searchMessageIds(sql, '12345'), [body]);
  });

  test('subject and header addresses are searched as words; envelope recipients are not', async () => {
    assert.equal(await searchMessageIds(sql, 'quarterly'), [body]);
    assert.equal(await searchMessageIds(sql, 'alice'), [body]);
    assert.equal(await searchMessageIds(sql, 'alice@example.com'), [body], 'an address typed whole is a phrase of its parts');
    assert.equal(await searchMessageIds(sql, 'unrelated'), [other]);
    // A Bcc: the envelope names the recipient, the headers do not.
    const raw = Buffer.from(simpleMessage({ to: 'visible@mailroom.test', subject: 'envelope only', body: 'plain' }));
    const bcc = await stored({ to: ['hidden-recipient@mailroom.test'], raw });
    assert.equal(await searchMessageIds(sql, 'visible'), [bcc]);
    assert.equal(await searchMessageIds(sql, 'hidden recipient'), []);
  });

  test('what a person types cannot be a syntax error', async () => {
    for (const q of ['"', "'", '&|!', '(xylophone', 'xylophone:*', '*', '\u0000xylophone']) {
      const ids = await searchMessageIds(sql, q);
      assert.ok(Array.isArray(ids), q);
    }
    assert.equal(await searchMessageIds(sql, '(xylophone'), [body]);
  });

  test('a body of 200,000 distinct words (a tsvector of over 1 MB) is stored and ready; its first words are searchable', async () => {
    // Past a tsvector's 1 MB whole; the index holds the first INDEXED_TEXT_CHARS characters.
    const words = Array.from({ length: 200_000 }, (_, i) => `w${i.toString(36)}q`).join(' ');
    const id = await stored({ to: ['huge@mailroom.test'], subject: 'huge', body: `firstword ${words}` });
    assert.equal(await searchMessageIds(sql, 'firstword'), [id]);
  });

  test('the search uses the GIN index', async () => {
    await sql`SET enable_seqscan = off`;
    const plan = await sql.unsafe(`EXPLAIN SELECT id FROM contents WHERE search @@ phraseto_tsquery('mailroom', 'xylophone')`);
    assert.match(plan.map((r) => Object.values(r)[0]).join('\n'), /contents_search/);
  });
}

test.run();
