// Two receiving nodes on one PostgreSQL (issue 14): mail received by node A
// is ready, heard and searchable on node B; and a node killed with SIGKILL
// under 16 concurrent senders has lost nothing it acknowledged with a 250,
// which the next node to start processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { postgresForTests } from '../helpers/postgres.js';
import { testConfig } from '../helpers/mailroom.js';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { silentLogger } from '../../src/log.js';
import { startPgReceivingNode, type PgReceivingNode } from '../../src/ingest/pg-receiving-node.js';
import { searchMessageIds } from '../../src/store/pg/message-search.js';
import type { ReadyNotice } from '../../src/ingest/ready-events.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const pg = await postgresForTests(test);

if (pg) {
  const config = testConfig({ storage: { engine: 'postgres', postgresUrl: pg.url }, smtp: { greetPauseMs: 0 } });
  const nodes: PgReceivingNode[] = [];
  const startNode = async (opts: Parameters<typeof startPgReceivingNode>[2] = {}) => {
    const node = await startPgReceivingNode(config, silentLogger(), opts);
    nodes.push(node);
    return node;
  };
  test.after(async () => {
    for (const n of nodes) await n.stop();
    await pg.drop();
  });

  async function send(port: number, to: string, subject: string, body: string): Promise<string> {
    const c = await RawSmtp.connect(port);
    await c.hello();
    const r = await c.send('sender@example.org', [to], simpleMessage({ to, subject, body }));
    await c.quit();
    assert.is(r.code, 250, r.text);
    return r.text.match(/stored as (\S+)/)![1];
  }

  test('a message sent to node A is heard on node B, ready and searchable there', async () => {
    const [a, b] = [await startNode(), await startNode()];
    const heard = new Promise<ReadyNotice>((resolve) => b.ready.subscribe((n) => n.copies.some((c) => c.inbox === 'cross@mailroom.test') && resolve(n)));
    const id = await send(a.smtpAddress.port, 'cross@mailroom.test', 'across nodes', 'the marimba word');
    const notice = await heard;
    assert.equal(notice.copies.map((c) => c.id), [id]);
    const [row] = await b.sql<{ ready: boolean; subject: string }[]>`
      SELECT m.ready, c.subject FROM messages m JOIN contents c ON c.id = m.content_id WHERE m.id = ${id}`;
    assert.equal({ ...row }, { ready: true, subject: 'across nodes' });
    assert.equal(await searchMessageIds(b.sql, 'marimba'), [id]);
  });

  test('SIGKILL of a node under 16 senders: every message it acknowledged is stored, and a surviving node makes them ready', async () => {
    // The survivor looks for mail another node left pending often, and at any age (a minute each by default).
    const survivor = await startNode({ sweepIntervalMs: 100, sweepStaleMs: 0 });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/store/pg/_receiving-node.ts'), pg.url], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr.on('data', (d) => (out += d));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/\{"smtp":(\d+)\}/);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`node did not start:\n${out}`)));
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));

    const acknowledged: string[] = [];
    let killed = false;
    const KILL_AFTER = 150;
    const sender = async (n: number) => {
      const c = await RawSmtp.connect(port);
      await c.hello();
      for (let i = 0; !c.closed; i++) {
        const to = `load${n}@mailroom.test`;
        const r = await c.send('sender@example.org', [to], simpleMessage({ to, subject: `load ${n}.${i}`, body: `message ${i} of sender ${n}` }));
        if (r.code === 250) acknowledged.push(r.text.match(/stored as (\S+)/)![1]);
        else break; // the connection died with the node: not acknowledged, the client would retry
        if (acknowledged.length >= KILL_AFTER && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
      c.socket.destroy();
    };
    await Promise.all(Array.from({ length: 16 }, (_, n) => sender(n)));
    await exited;
    assert.ok(acknowledged.length >= KILL_AFTER, `${acknowledged.length} acknowledged`);

    const check = pg.pool({ max: 1 });
    const stored = await check<{ id: string }[]>`SELECT id FROM messages WHERE id IN ${check(acknowledged)}`;
    assert.is(stored.length, acknowledged.length, 'every acknowledged message is in the database');

    // The survivor's sweep processes what the dead node left pending.
    const notReady = async () =>
      (await check<{ n: number }[]>`SELECT count(*)::int AS n FROM messages WHERE id IN ${check(acknowledged)} AND NOT ready`)[0].n;
    while ((await notReady()) > 0) await new Promise((r) => setTimeout(r, 50));
    assert.is(await notReady(), 0, 'all of them ready');
    assert.ok(survivor.ingest.parsed > 0, 'by the survivor');
  });
}

test.run();
