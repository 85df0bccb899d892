// The admin CLI on the PostgreSQL engine (issue 14): the real process, its
// store chosen by MAILROOM_STORAGE_ENGINE like a node's, writes what every
// node then reads (a user made here signs in anywhere), and the commands that
// work on the SQLite file itself say what to use instead.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { postgresForTests } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';
import { pgStore } from '../../src/store/pg/pg-store.js';
import { hashKey } from '../../src/store/api-keys.js';

const pg = await postgresForTests(test);

if (pg) {
  const dataDir = tempDir();
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.resolve('src/cli/main.ts'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, MAILROOM_DATA_DIR: dataDir, MAILROOM_DOMAINS: 'mailroom.test', MAILROOM_STORAGE_ENGINE: 'postgres', MAILROOM_STORAGE_POSTGRES_URL: pg.url, MAILROOM_LOG_LEVEL: 'silent' },
    });
  test.after(() => pg.drop());

  test('users, keys and addresses made by the CLI are in the shared database', async () => {
    assert.is(cli('user', 'create', 'carol').status, 0);
    const key = cli('key', 'create', 'carol', '--name', 'deploy');
    assert.is(key.status, 0, key.stderr);
    const secret = key.stdout.match(/\b([A-Za-z0-9_-]{32,})\b/)![1]!;
    const reserve = cli('address', 'reserve', 'Carol.Box@mailroom.test', '--user', 'carol');
    assert.is(reserve.status, 0, reserve.stderr);
    const list = cli('address', 'list', 'carol');
    assert.match(list.stdout, /carol\.box@mailroom\.test/);
    // Read back as a node reads it.
    const store = pgStore(pg.pool({ max: 1 }));
    const user = await store.data.users.byName('carol');
    assert.ok(user);
    assert.is((await store.principals.keyByHash(hashKey(secret)))?.userId, user!.id);
    assert.is(await store.data.addresses.ownerOf('carol.box@mailroom.test'), user!.id);
  });

  test('backup and migrate-store refuse on PostgreSQL, naming what to use', () => {
    const backup = cli('backup', path.join(dataDir, 'b.db'));
    assert.is(backup.status, 1);
    assert.match(backup.stderr, /backup works on the embedded SQLite store; .*pg_dump/);
    const migrate = cli('migrate-store', '--to', pg.url);
    assert.is(migrate.status, 1);
    assert.match(migrate.stderr, /already/);
  });
}

test.run();
