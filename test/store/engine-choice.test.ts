// storage.engine (issue 14): sqlite is the default; postgres is accepted by
// the config, but a node refuses to serve on it, naming why, until the read
// side (services, web, API) runs on PostgreSQL too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startMailroom } from '../../src/main.js';
import { silentLogger } from '../../src/log.js';
import { testConfig, tempDir } from '../helpers/mailroom.js';
import { readdirSync } from 'node:fs';

test('storage.engine postgres: startMailroom refuses to serve, saying the engine is not wired yet, before touching the data directory', async () => {
  const dataDir = tempDir();
  const config = testConfig({ storage: { engine: 'postgres', postgresUrl: 'postgres://nobody@127.0.0.1:1/none' } }, dataDir);
  await startMailroom(config, silentLogger()).then(
    () => assert.unreachable('must not start'),
    (err: Error) => assert.match(err.message, /storage\.engine postgres is not yet wired for serving/),
  );
  assert.equal(readdirSync(dataDir), [], 'no SQLite store was created beside it');
});

test.run();
