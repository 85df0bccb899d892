// Durable ingest into PostgreSQL (issue 14): one and two receiving nodes on
// one fresh database, each node a child process of its own, the load
// client's senders spread across the nodes (sender i to node i mod n). The
// ready time of every message is taken from node 0's LISTEN, so with two
// nodes half of the mail is heard across nodes, as a reader on node 0 would
// see it. Commits per second are the writers' durable commits of received
// mail (group commit: one per batch) over the window, summed over the nodes.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { IngestCell } from './ingest.js';
import { recipientPicker, recordReady } from './ingest.js';
import { runLoad } from './load-client.js';
import type { BenchSize } from './messages.js';
import { freshBenchDatabase } from './pg-database.js';
import { cpuPercent } from './stats.js';
import { TargetProcess, type TargetStats } from './targets.js';

export interface PgIngestPlan {
  nodes: number[];
  senders: number[];
  size: BenchSize;
  payloads: Buffer[];
  warmupMs: number;
  durationMs: number;
  workDir: string;
  log: (s: string) => void;
}

/** Cells for each node count and number of senders; null (with the line logged) when no PostgreSQL answers. */
export async function runPgIngest(plan: PgIngestPlan): Promise<IngestCell[] | null> {
  const cells: IngestCell[] = [];
  for (const nodeCount of plan.nodes) {
    // A fresh database per node count: the two-node cells do not start on the one-node cells' rows.
    const db = await freshBenchDatabase();
    if ('unavailable' in db) {
      plan.log(`bench: ${db.unavailable}`);
      return null;
    }
    const nodes: TargetProcess[] = [];
    try {
      for (let i = 0; i < nodeCount; i++) {
        const dataDir = path.join(plan.workDir, `pg-${nodeCount}-node${i}`);
        mkdirSync(dataDir, { recursive: true });
        nodes.push(await TargetProcess.start('mailroom-pg', { dataDir, postgresUrl: db.url }, { env: { TMPDIR: dataDir } }));
      }
      for (const n of plan.senders) cells.push(await measure(plan, db.name, nodes, n));
    } catch (err) {
      for (const n of plan.senders.filter((s) => !cells.some((c) => c.nodes === nodeCount && c.senders === s)))
        cells.push({ ...emptyCell(nodeCount, n, plan.size), error: (err as Error).message.split('\n')[0] });
    } finally {
      for (const t of nodes) await t.stop();
      await db.drop();
    }
  }
  return cells;
}

function emptyCell(nodes: number, senders: number, size: BenchSize): IngestCell {
  return { target: 'mailroom-pg', nodes, size, mode: 'persistent', senders, load: null, serverCpuPct: NaN, serverRss: NaN, parseLagMs: null, readyLatency: null, readyMissing: 0, readyRate: null, maxBacklog: null, commitsPerSecond: null };
}

const commitsOf = (s: TargetStats) => Number(s.info.commits ?? NaN);

async function measure(plan: PgIngestPlan, dbName: string, nodes: TargetProcess[], senders: number): Promise<IngestCell> {
  const cell = emptyCell(nodes.length, senders, plan.size);
  let before: TargetStats[] = [];
  let after: TargetStats[] = [];
  let w0 = 0;
  let w1 = 0;
  let sampling = true;
  const sampler = (async () => {
    let max = 0;
    while (sampling) {
      const all = await Promise.all(nodes.map((t) => t.stats()));
      max = Math.max(max, all.reduce((a, s) => a + s.backlog, 0));
      await new Promise((r) => setTimeout(r, 100));
    }
    return max;
  })();
  try {
    cell.load = await runLoad({
      port: nodes[0].smtpPort,
      ports: nodes.map((t) => t.smtpPort),
      senders,
      mode: 'persistent',
      payloads: plan.payloads,
      recipient: recipientPicker(),
      warmupMs: plan.warmupMs,
      durationMs: plan.durationMs,
      onWindow: async (edge) => {
        const all = await Promise.all(nodes.map((t) => t.stats()));
        if (edge === 'start') {
          before = all;
          w0 = performance.now();
        } else {
          after = all;
          w1 = performance.now();
        }
      },
    });
    const ms = w1 - w0;
    // CPU of the Mailroom nodes only (summed, % of one core); PostgreSQL's own is not in it.
    cell.serverCpuPct = nodes.reduce((a, _t, i) => a + cpuPercent({ user: after[i].cpu.user - before[i].cpu.user, system: after[i].cpu.system - before[i].cpu.system }, ms), 0);
    cell.commitsPerSecond = (nodes.reduce((a, _t, i) => a + commitsOf(after[i]) - commitsOf(before[i]), 0) / ms) * 1000;
    cell.serverRss = nodes.reduce((a, t) => a + t.memory().rss, 0);
    sampling = false;
    cell.maxBacklog = await sampler;
    const t0 = performance.now();
    await Promise.all(nodes.map((t) => t.idle(180_000)));
    cell.parseLagMs = performance.now() - t0;
    const ids = [...cell.load.acks.keys()];
    // Node 0 hears every node's ready events (LISTEN/NOTIFY); the others are asked only to forget theirs.
    const [readyAt] = await Promise.all(nodes.map((t) => t.readyTimes(ids)));
    recordReady(cell, ids, readyAt);
  } catch (err) {
    cell.error = (err as Error).message.split('\n')[0];
  } finally {
    sampling = false;
    await sampler.catch(() => 0);
  }
  const l = cell.load;
  plan.log(
    `  mailroom-pg ×${nodes.length} node(s) ${plan.size} persistent ×${senders} (${dbName}): ` +
      (l
        ? `${l.perSecond.toFixed(0)} msg/s, p50 ${l.latency.p50.toFixed(2)} ms, p99 ${l.latency.p99.toFixed(2)} ms, errors ${l.errors}, ${cell.commitsPerSecond?.toFixed(0)} commits/s` +
          (cell.readyRate ? `, ready ${cell.readyRate.toFixed(0)} msg/s` : '') +
          (cell.readyLatency ? `, 250→ready p50 ${cell.readyLatency.p50.toFixed(1)} ms, p99 ${cell.readyLatency.p99.toFixed(1)} ms, never ready ${cell.readyMissing}` : '')
        : `failed: ${cell.error}`),
  );
  return cell;
}
