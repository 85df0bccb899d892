// A PostgreSQL receiving node decides recipients and forwards from the
// shared database as a SQLite Mailroom does from its own (issue 12, issue
// 14): an account's verified domain is accepted and an unverified one
// refused, a catch-all files a copy under *@domain, an address's and a
// domain's `forward` add the target inbox in the same commit, and with
// unowned inboxes rejected only owned ones are taken. The repositories are
// set up through pgOwnershipRepositories, as the web would on that engine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { postgresForTests } from '../helpers/postgres.js';
import { testConfig } from '../helpers/mailroom.js';
import { dotStuff, RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { silentLogger } from '../../src/log.js';
import { startPgReceivingNode, type PgReceivingNode } from '../../src/ingest/pg-receiving-node.js';
import { pgOwnershipRepositories } from '../../src/store/pg/ownership-repositories.js';
import { openPool } from '../../src/store/pg/driver.js';

const pg = await postgresForTests(test);

if (pg) {
  const sql = pg.pool({ max: 2 });
  const repos = pgOwnershipRepositories(sql);
  const base = { storage: { engine: 'postgres', postgresUrl: pg.url }, smtp: { greetPauseMs: 0 } } as const;
  const nodes: PgReceivingNode[] = [];
  const startNode = async (overrides: Parameters<typeof testConfig>[0] = {}, opts: Parameters<typeof startPgReceivingNode>[2] = {}) => {
    const node = await startPgReceivingNode(testConfig({ ...base, ...overrides }), silentLogger(), opts);
    nodes.push(node);
    return node;
  };
  const closers: Array<() => Promise<void>> = [];
  test.after(async () => {
    for (const n of nodes) await n.stop();
    for (const close of closers) await close();
    await pg.drop();
  });

  const createUser = async (username: string) =>
    (await sql<{ id: number }[]>`INSERT INTO users (username, created, updated) VALUES (${username}, 0, 0) RETURNING id`)[0]!.id;

  /** One message to these recipients: the reply to each RCPT and to the final dot. */
  async function deliver(port: number, to: string[], subject: string): Promise<{ rcpt: string[]; data: string }> {
    const c = await RawSmtp.connect(port);
    try {
      await c.hello();
      await c.command('MAIL FROM:<sender@example.org>');
      const rcpt: string[] = [];
      for (const t of to) {
        const r = await c.command(`RCPT TO:<${t}>`);
        rcpt.push(`${r.code} ${r.text}`);
      }
      if (!rcpt.some((r) => r.startsWith('250'))) return { rcpt, data: '' };
      assert.is((await c.command('DATA')).code, 354);
      c.write(dotStuff(simpleMessage({ to: to.join(', '), subject })));
      c.write('\r\n.\r\n');
      const r = await c.reply();
      return { rcpt, data: `${r.code} ${r.text}` };
    } finally {
      await c.quit();
    }
  }

  test("an account's verified domain is accepted with its catch-all and forwards; an unverified one is refused", async () => {
    const owner = await createUser('domainowner');
    await repos.domains.add('acct.example', owner, 'tok');
    await repos.domains.markVerified('acct.example');
    await repos.domains.setCatchAll('acct.example', true);
    await repos.domains.add('pending.example', owner, 'tok2');
    await repos.addresses.reserve('fwd@mailroom.test', owner, { forward: 'target@mailroom.test' });
    const node = await startNode();

    const r = await deliver(node.smtpAddress.port, ['Sales@acct.example', 'fwd@mailroom.test', 'someone@pending.example'], 'ownership one');
    assert.equal(r.rcpt.map((x) => x.slice(0, 9)), ['250 Accep', '250 Accep', '550 5.7.1']);
    assert.match(r.data, /^250 2\.0\.0 Ok: stored as /);
    assert.equal(await inboxesOf(r.data), [
      ['*@acct.example', 'Sales@acct.example'],
      ['fwd@mailroom.test', 'fwd@mailroom.test'],
      ['sales@acct.example', 'Sales@acct.example'],
      ['target@mailroom.test', 'fwd@mailroom.test'],
    ]);

    // The domain's own forward applies to each of its messages, once.
    await repos.domains.updateSettings('acct.example', { forward: 'domaincopy@mailroom.test' });
    await repos.domains.setCatchAll('acct.example', false);
    const r2 = await deliver(node.smtpAddress.port, ['a@acct.example', 'b@acct.example'], 'ownership two');
    assert.match(r2.data, /^250 /);
    assert.equal(await inboxesOf(r2.data), [
      ['a@acct.example', 'a@acct.example'],
      ['b@acct.example', 'b@acct.example'],
      ['domaincopy@mailroom.test', 'a@acct.example'],
    ]);
  });

  test('with unowned inboxes rejected, a reserved address and any address of a verified domain are taken, others get 550 5.1.1', async () => {
    const owner = await createUser('strictowner');
    await repos.addresses.reserve('mine@example.test', owner);
    await repos.domains.add('strict.example', owner, 'tok');
    await repos.domains.markVerified('strict.example');
    const node = await startNode({ privacy: { publicInboxes: false, unownedHandling: 'reject' } });
    const r = await deliver(node.smtpAddress.port, ['mine@example.test', 'anyone@strict.example', 'stranger@example.test'], 'ownership three');
    assert.equal(r.rcpt.map((x) => x.slice(0, 9)), ['250 Accep', '250 Accep', '550 5.1.1']);
    assert.equal(await inboxesOf(r.data), [
      ['anyone@strict.example', 'anyone@strict.example'],
      ['mine@example.test', 'mine@example.test'],
    ]);
  });

  test('a recipient lookup that fails (the database is gone) is a temporary 451 4.3.0, and nothing is stored', async () => {
    // Repositories on a database that does not exist: every lookup fails as after losing the server.
    const gone = new URL(pg.url);
    gone.pathname = '/mailroom_test_no_such_database';
    const dead = openPool(gone.toString(), { max: 1 });
    closers.push(() => dead.end({ timeout: 1 }));
    const node = await startNode({}, { data: pgOwnershipRepositories(dead) });
    const before = (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM messages`)[0]!.n;
    const r = await deliver(node.smtpAddress.port, ['someone@mailroom.test', 'x@acct.example'], 'ownership four');
    assert.equal(r.rcpt, ['451 4.3.0 Temporary local problem, try again later', '451 4.3.0 Temporary local problem, try again later']);
    assert.is((await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM messages`)[0]!.n, before);
  });

  /** Every copy of the message a 250 names: [inbox, original RCPT], bytewise by inbox. */
  async function inboxesOf(reply: string): Promise<string[][]> {
    const id = reply.match(/stored as (\S+)/)![1]!;
    const rows = await sql<{ inbox: string; original_inbox: string }[]>`
      SELECT inbox, original_inbox FROM messages WHERE content_id = (SELECT content_id FROM messages WHERE id = ${id}) ORDER BY inbox COLLATE "C"`;
    return rows.map((r) => [r.inbox, r.original_inbox]);
  }
}

test.run();
