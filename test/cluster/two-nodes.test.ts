// Two whole Mailroom processes on one PostgreSQL are one Mailroom (issue 14):
// a message sent to node A is read through node B's API and arrives on a
// websocket opened on node B; a retention schedule firing on both runs once
// per tick; and after kill -9 of node A under 16 senders, every message A
// acknowledged is readable through node B.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { postgresForTests } from '../helpers/postgres.js';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { tempDir } from '../helpers/temp.js';
import { api } from '../api/_helpers.js';
import { connectWs, until } from '../push/_helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ADMIN_KEY = 'cluster-admin-key-0123456789abcdef';
const pg = await postgresForTests(test);

interface NodeProcess {
  child: ChildProcess;
  smtp: number;
  http: string;
  /** Every JSON log line the node wrote. */
  logs: any[];
  exited: Promise<number | null>;
}

async function startNode(url: string, extra: Record<string, unknown> = {}): Promise<NodeProcess> {
  const overrides = {
    auth: { adminKey: ADMIN_KEY },
    smtp: { greetPauseMs: 0 },
    storage: { engine: 'postgres', postgresUrl: url, dataDir: tempDir() },
    ...extra,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/cluster/_node.ts'), JSON.stringify(overrides), JSON.stringify({ sweepIntervalMs: 500, sweepStaleMs: 3000 })], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: any[] = [];
  let pending = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = await new Promise<{ smtp: number; http: number }>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      pending += d;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          const j = JSON.parse(line);
          if (j.node) resolve(j.node);
          else logs.push(j);
        } catch {
          // not a log line
        }
      }
    });
    void exited.then(() => reject(new Error(`node exited before serving:\n${err}`)));
  });
  return { child, smtp: ports.smtp, http: `http://127.0.0.1:${ports.http}`, logs, exited };
}

async function stopNode(n: NodeProcess): Promise<void> {
  if (n.child.exitCode !== null || n.child.signalCode !== null) return;
  n.child.kill('SIGTERM');
  await n.exited;
}

if (pg) {
  const nodes: NodeProcess[] = [];
  test.after(async () => {
    for (const n of nodes) await stopNode(n);
    await pg.drop();
  });

  test('a message sent to node A is read through node B\'s API and arrives on node B\'s websocket', async () => {
    // Both nodes run retention every 2 seconds: the next test reads what they logged meanwhile.
    // No count limit on public inboxes (6 by default), so the load test's inboxes keep all they got.
    const retention = { retention: { schedule: '*/2 * * * * *', public: { maxMessagesPerInbox: 0 } } };
    const [a, b] = [await startNode(pg.url, retention), await startNode(pg.url, retention)];
    nodes.push(a, b);
    const ws = connectWs(`${b.http.replace('http', 'ws')}/incoming-messages?key=${ADMIN_KEY}&addresses=mailroom.test`);
    await ws.next((f) => f.status === 200);
    const c = await RawSmtp.connect(a.smtp);
    await c.hello();
    const sent = await c.send('sender@example.org', ['across@mailroom.test'], simpleMessage({ to: 'across@mailroom.test', subject: 'From A to B', body: 'the word quetzal' }));
    await c.quit();
    assert.is(sent.code, 250, sent.text);
    const id = sent.text.match(/stored as (\S+)/)![1];
    const frame = await ws.next((f) => f.subject !== undefined);
    assert.is(frame._id, id);
    assert.is(frame.subject, 'From A to B');
    const got = await api({ http: b.http }, 'GET', `/api/addresses/across@mailroom.test/messages/${id}`, { key: ADMIN_KEY });
    assert.is(got.status, 200, got.text);
    assert.is(got.json.subject, 'From A to B');
    const found = await api({ http: b.http }, 'GET', '/api/inbox-search?fulltext=true&query=quetzal', { key: ADMIN_KEY });
    assert.equal(found.json.messages.map((m: any) => m._id), [id]);
    ws.ws.close();
  });

  test('retention scheduled on both nodes runs once per tick', async () => {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    const ran = () => [...a.logs, ...b.logs].filter((l) => l.msg === 'retention run');
    await until(() => ran().length >= 3, 20_000, 'three retention runs');
    const skipped = [...a.logs, ...b.logs].filter((l) => l.msg === 'retention run skipped: another node ran it');
    // Ticks are 2 s apart and fire at the same second on both nodes: one run per tick.
    const perTick = new Map<number, number>();
    for (const l of ran()) {
      const tick = Math.round(Date.parse(l.time) / 2000);
      perTick.set(tick, (perTick.get(tick) ?? 0) + 1);
    }
    assert.ok([...perTick.values()].every((n) => n === 1), `runs per tick: ${JSON.stringify([...perTick])}`);
    assert.ok(skipped.length >= 1, 'the other node skipped at least one tick');
  });

  test('kill -9 of node A under 16 senders: every message A acknowledged is readable through node B', async () => {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    const acknowledged: Array<{ id: string; inbox: string }> = [];
    const KILL_AFTER = 150;
    let killed = false;
    const sender = async (n: number) => {
      const c = await RawSmtp.connect(a.smtp);
      await c.hello();
      for (let i = 0; !c.closed; i++) {
        const to = `load${n}@mailroom.test`;
        const r = await c.send('sender@example.org', [to], simpleMessage({ to, subject: `load ${n}.${i}`, body: `message ${i} of sender ${n}` }));
        if (r.code === 250) acknowledged.push({ id: r.text.match(/stored as (\S+)/)![1]!, inbox: to });
        else break; // the connection died with the node: not acknowledged, the client would retry
        if (acknowledged.length >= KILL_AFTER && !killed) {
          killed = true;
          a.child.kill('SIGKILL');
        }
      }
      c.socket.destroy();
    };
    await Promise.all(Array.from({ length: 16 }, (_, n) => sender(n)));
    await a.exited;
    assert.ok(acknowledged.length >= KILL_AFTER, `${acknowledged.length} acknowledged`);
    // Node B reads each by id (a read of one not ready yet waits for it; B's sweep makes A's leftovers ready).
    let last = '';
    const unread = async () => {
      const answers = new Map<string, number>();
      for (const m of acknowledged) {
        const r = await api({ http: b.http }, 'GET', `/api/addresses/${m.inbox}/messages/${m.id}`, { key: ADMIN_KEY });
        const what = r.status === 200 && r.json.subject?.startsWith('load ') ? 'read' : `${r.status} ${r.text.slice(0, 80)}`;
        answers.set(what, (answers.get(what) ?? 0) + 1);
      }
      last = JSON.stringify([...answers]);
      return answers.get('read') ?? 0;
    };
    await until(async () => (await unread()) === acknowledged.length, 120_000, "every acknowledged message readable through node B").catch(async (err) => {
      const check = pg.pool({ max: 1 });
      const rows = await check<{ ready: boolean; n: number }[]>`SELECT ready, count(*)::int AS n FROM messages WHERE id IN ${check(acknowledged.map((m) => m.id))} GROUP BY ready`;
      throw new Error(`${(err as Error).message}: ${last}; in the database: ${JSON.stringify(rows)}`);
    });
  });
}

test.run();
