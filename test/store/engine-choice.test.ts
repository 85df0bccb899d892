// storage.engine (issue 14): sqlite is the default and startMailroom's;
// postgres starts a PostgreSQL node (postgres-node.ts) through startNode,
// which never creates a SQLite store beside the shared one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startMailroom, startNode } from '../../src/main.js';
import { silentLogger } from '../../src/log.js';
import { testConfig, tempDir } from '../helpers/mailroom.js';
import { readdirSync } from 'node:fs';

test('storage.engine postgres: startMailroom (the SQLite start) refuses it and points at startNode, before touching the data directory', async () => {
  const dataDir = tempDir();
  const config = testConfig({ storage: { engine: 'postgres', postgresUrl: 'postgres://nobody@127.0.0.1:1/none' } }, dataDir);
  await startMailroom(config, silentLogger()).then(
    () => assert.unreachable('must not start'),
    (err: Error) => assert.match(err.message, /storage\.engine postgres starts with startNode/),
  );
  assert.equal(readdirSync(dataDir), [], 'no SQLite store was created beside it');
});

test('storage.engine postgres with no server answering: startNode fails with the connection error, and no SQLite store is created', async () => {
  const dataDir = tempDir();
  const config = testConfig({ storage: { engine: 'postgres', postgresUrl: 'postgres://nobody@127.0.0.1:1/none' } }, dataDir);
  await startNode(config, silentLogger()).then(
    () => assert.unreachable('must not start'),
    (err: Error & { code?: string }) => assert.match(`${err.code} ${err.message}`, /ECONNREFUSED|connect/),
  );
  assert.not.ok(readdirSync(dataDir).some((f) => f.startsWith('mailroom.db')), 'no SQLite store was created');
});

test.run();
