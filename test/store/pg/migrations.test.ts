// The PostgreSQL store's migrations (issue 14): several nodes start against
// one database at once, and the schema is applied exactly once, under the
// advisory lock; a later start finds nothing to do.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { postgresForTests } from '../../helpers/postgres.js';
import { loadPgMigrations, runPgMigrations } from '../../../src/store/pg/migrate.js';

const pg = await postgresForTests(test, { migrate: false });

if (pg) {
  test.after(() => pg.drop());

  test('two nodes racing to migrate an empty database: one applies every migration, the other none', async () => {
    const nodeA = pg.pool({ max: 2 });
    const nodeB = pg.pool({ max: 2 });
    const versions = loadPgMigrations().map((m) => m.version);
    assert.ok(versions.length >= 1 && versions[0] === 1, 'numbered from 001');
    const [a, b] = await Promise.all([runPgMigrations(nodeA), runPgMigrations(nodeB)]);
    // Without the lock both would see an empty schema_migrations and the
    // second CREATE TABLE contents would fail, or record a version twice.
    assert.equal([a, b].sort((x, y) => y.length - x.length), [versions, []]);
    const recorded = await nodeA<{ version: number }[]>`SELECT version FROM schema_migrations ORDER BY version`;
    assert.equal(recorded.map((r) => r.version), versions);
    assert.equal(await runPgMigrations(nodeB), [], 'a restart finds nothing left to do');
    const tables = await nodeA<{ t: string }[]>`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`;
    for (const t of ['contents', 'messages', 'attachments', 'blobs', 'users', 'api_keys', 'sessions', 'addresses', 'account_domains', 'audit_log', 'webhook_deliveries', 'webhook_activity', 'webhook_secrets', 'billing_customers', 'billing_subscriptions', 'billing_events', 'billing_releases']) {
      assert.ok(tables.some((r) => r.t === t), `table ${t} exists`);
    }
  });

  test('a migration that fails leaves the schema and the record as they were', async () => {
    const node = pg.pool({ max: 1 });
    const broken = [...loadPgMigrations(), { version: 9001, name: '9001_broken.sql', sql: 'CREATE TABLE half_done (x int);\nSELECT no_such_function();' }];
    await runPgMigrations(node, broken).then(
      () => assert.unreachable('the broken migration must fail'),
      (err: Error) => assert.match(err.message, /no_such_function/),
    );
    const [{ n }] = await node<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'half_done'`;
    assert.is(n, 0, 'rolled back with the transaction');
    const [{ v }] = await node<{ v: number }[]>`SELECT max(version) AS v FROM schema_migrations`;
    assert.is(v, loadPgMigrations().at(-1)!.version);
  });
}

test.run();
