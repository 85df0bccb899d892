// The PostgreSQL reads part of `npm run bench -- --only=pg` (issue 14) on a
// small seeded store: a whole PostgreSQL node and a SQLite node on the same
// mail answer every request of the read bench with 200 (the message page
// only finds a message in the store it was drawn from), and both tables of
// the report carry figures for both engines. No timing assertions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPgReadStage } from '../../scripts/bench/pg-read-stage.js';
import { PG_READ_OPS, type PgReadStage } from '../../scripts/bench/pg-read.js';
import { READ_ENDPOINTS } from '../../scripts/bench/read.js';
import { pgHttpReadTable, pgReadTable } from '../../scripts/bench/report.js';
import { DEFAULT_TEST_POSTGRES_URL, postgresForTests } from '../helpers/postgres.js';

// Only to learn whether a server answers (and to say so the way every PostgreSQL test does):
// the stage creates and drops a bench database of its own on the same server.
const pg = await postgresForTests(test, { migrate: false });

if (pg) {
  const REQUESTS = 6;
  let stage: PgReadStage;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'mailroom-pg-read-stage-'));
  test.before(async () => {
    await pg.drop();
    const r = await runPgReadStage({
      stored: 300,
      requests: REQUESTS,
      maxMsPerOp: 30_000,
      adminKey: 'bench-test-admin-key-0123456789ab',
      workDir,
      log: () => {},
      serverUrl: process.env.MAILROOM_TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL,
    });
    if ('unavailable' in r) throw new Error(r.unavailable);
    stage = r;
  });
  test.after(() => rmSync(workDir, { recursive: true, force: true }));

  test('a whole PostgreSQL node and a SQLite node answer every read request with 200', () => {
    for (const [engine, r] of [['PostgreSQL', stage.http], ['SQLite', stage.sqliteHttp]] as const) {
      assert.is(r.error, undefined, `${engine} node failed`);
      assert.equal(r.endpoints.map((e) => e.endpoint), READ_ENDPOINTS);
      for (const e of r.endpoints) {
        assert.equal(e.statuses, { 200: REQUESTS }, `${engine} ${e.endpoint} (${e.example}): ${JSON.stringify(e.statuses)}`);
        assert.is(e.latency?.count, REQUESTS, `${engine} ${e.endpoint}`);
      }
      assert.ok(r.rss > 0, `${engine} node RSS read from /proc`);
    }
  });

  test('the MessageReader calls ran on both engines, over the seeded mail', () => {
    assert.equal(stage.ops.map((o) => o.op), PG_READ_OPS);
    for (const o of [...stage.ops, ...stage.sqliteOps]) assert.is(o.latency?.count, REQUESTS, o.op);
    // 5% of the Seeder's mail goes to two inboxes: more copies than messages.
    assert.ok(stage.sizes.messages > 300, `copies ${stage.sizes.messages}`);
  });

  test('the report prints both engines in both tables, with figures', () => {
    const http = pgHttpReadTable([stage]);
    assert.match(http, /\| 300\s+\| PostgreSQL node /);
    assert.match(http, /\| 300\s+\| SQLite node /);
    assert.not.match(http, /n\/a|failed/);
    const reader = pgReadTable([stage]);
    assert.match(reader, /PostgreSQL/);
    assert.match(reader, /SQLite/);
  });
}

test.run();
