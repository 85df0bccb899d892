// Ingest bench: for each receiver and message size, one target child; for
// each connection mode and number of senders, one measuring window. After each
// window Mailroom is given time to finish parsing what it accepted (work after
// the 250), so one cell's backlog does not slow the next; how long that took
// is reported as "parse lag".
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TargetKind } from './adapters.js';
import { dataPayload, runLoad, type LoadResult } from './load-client.js';
import { benchMessages, type BenchSize } from './messages.js';
import { cpuPercent, rng, summarize, zipf, type Summary } from './stats.js';
import { TargetProcess } from './targets.js';

export type Mode = 'persistent' | 'per-message';

export interface IngestCell {
  target: TargetKind;
  size: BenchSize;
  mode: Mode;
  senders: number;
  load: LoadResult | null;
  serverCpuPct: number;
  serverRss: number;
  /** Mailroom: time after the window until every accepted message was parsed. */
  parseLagMs: number | null;
  /** Mailroom: 250 arrived at the client → ready published in the server (issue 10), ms. */
  readyLatency: Summary | null;
  /** Mailroom: acknowledged in the window but no ready seen after the idle wait. */
  readyMissing: number;
  /**
   * Messages made readable per second: the window's acknowledged messages
   * over the time from the first of their 250s to the last of them ready
   * (issue 16). MailDev and the bare server: their 250 rate (a message is
   * there when acknowledged).
   */
  readyRate: number | null;
  /** Mailroom: the largest backlog (acknowledged, not ready) sampled every 100 ms during the run. */
  maxBacklog: number | null;
  /** Offered messages/s when the cell was paced (LoadOptions.offeredPerSecond). */
  offered?: number;
  /** mailroom-pg: receiving nodes sharing the database (bench/pg-ingest.ts). */
  nodes?: number;
  /** mailroom-pg: durable commits of received mail per second over the window, all nodes. */
  commitsPerSecond?: number | null;
  error?: string;
}

export interface IngestPlan {
  targets: TargetKind[];
  sizes: BenchSize[];
  modes: Mode[];
  senders: number[];
  warmupMs: number;
  /**
   * Load before a target process's first cell (default FIRST_WARMUP_MS), for
   * every receiver alike: a fresh process runs its code cold. Mailroom's
   * first 5 KB cell used 178% CPU for 205 msg/s where its later ones made
   * ~2.5 ms of CPU per message (V8 compiling, the second parse worker
   * loading), so that cell measured the start, not the receiver.
   */
  firstWarmupMs?: number;
  durationMs: number;
  /** Only these (target, size, mode, senders) combinations, when given. */
  filter?: (t: TargetKind, size: BenchSize, mode: Mode, senders: number) => boolean;
  /** Extra Mailroom cells at an offered rate (persistent connections): 250→ready at a given load, not at saturation. */
  paced?: Array<{ size: BenchSize; senders: number; rate: number }>;
  workDir: string;
  cpuProfDir?: string;
  log: (s: string) => void;
}

/**
 * 250→ready latency, messages never seen ready, and the ready rate (the
 * acknowledged messages over first 250 → last ready) of a Mailroom cell,
 * from each acknowledged id's ready time (null: not seen).
 */
export function recordReady(cell: IngestCell, ids: string[], readyAt: Array<number | null | undefined>): void {
  const samples: number[] = [];
  let firstAck = Infinity;
  let lastReady = -Infinity;
  ids.forEach((id, i) => {
    const at = readyAt[i];
    const ack = cell.load!.acks.get(id)!;
    firstAck = Math.min(firstAck, ack);
    if (at === null || at === undefined) cell.readyMissing++;
    else {
      samples.push(at - ack);
      lastReady = Math.max(lastReady, at);
    }
  });
  cell.readyLatency = summarize(samples);
  if (samples.length && lastReady > firstAck) cell.readyRate = (samples.length / (lastReady - firstAck)) * 1000;
}

export function recipientPicker(domain = 'mailroom.test', inboxes = 1000, seed = 3): () => string {
  const pick = zipf(inboxes, 1.0, rng(seed));
  return () => `user${pick()}@${domain}`;
}

const FIRST_WARMUP_MS = 2000;

export async function runIngest(plan: IngestPlan): Promise<IngestCell[]> {
  const cells: IngestCell[] = [];
  const payloads = new Map<BenchSize, Buffer[]>();
  for (const size of plan.sizes) payloads.set(size, benchMessages(size, 32).map(dataPayload));
  for (const kind of plan.targets) {
    for (const size of plan.sizes) {
      const wanted = plan.modes.flatMap((mode) => plan.senders.map((n) => ({ mode, n }))).filter(({ mode, n }) => !plan.filter || plan.filter(kind, size, mode, n));
      if (!wanted.length) continue;
      const dataDir = path.join(plan.workDir, `${kind}-${size}`);
      mkdirSync(dataDir, { recursive: true });
      let target: TargetProcess;
      try {
        target = await TargetProcess.start(
          kind,
          { dataDir },
          { env: { TMPDIR: dataDir }, cpuProfDir: plan.cpuProfDir },
        );
      } catch (err) {
        for (const { mode, n } of wanted) cells.push({ target: kind, size, mode, senders: n, load: null, serverCpuPct: NaN, serverRss: NaN, parseLagMs: null, readyLatency: null, readyMissing: 0, readyRate: null, maxBacklog: null, error: (err as Error).message.split('\n')[0] });
        continue;
      }
      const paced = kind === 'mailroom' ? (plan.paced ?? []).filter((p) => p.size === size) : [];
      const runs: Array<{ mode: Mode; n: number; rate?: number }> = [...wanted, ...paced.map((p) => ({ mode: 'persistent' as Mode, n: p.senders, rate: p.rate }))];
      try {
        let first = true;
        for (const { mode, n, rate } of runs) {
          const warmupMs = first ? Math.max(plan.warmupMs, plan.firstWarmupMs ?? FIRST_WARMUP_MS) : plan.warmupMs;
          first = false;
          let cpu0: NodeJS.CpuUsage | null = null;
          let cpu1: NodeJS.CpuUsage | null = null;
          let w0 = 0;
          let w1 = 0;
          const cell: IngestCell = { target: kind, size, mode, senders: n, load: null, serverCpuPct: NaN, serverRss: NaN, parseLagMs: null, readyLatency: null, readyMissing: 0, readyRate: null, maxBacklog: null, offered: rate };
          let sampling = true;
          const sampler = (async () => {
            let max = 0;
            while (sampling) {
              max = Math.max(max, (await target.stats()).backlog);
              await new Promise((r) => setTimeout(r, 100));
            }
            return max;
          })();
          try {
            cell.load = await runLoad({
              offeredPerSecond: rate,
              port: target.smtpPort,
              senders: n,
              mode,
              payloads: payloads.get(size)!,
              recipient: recipientPicker(),
              warmupMs,
              durationMs: plan.durationMs,
              onWindow: async (edge) => {
                const s = await target.stats();
                if (edge === 'start') {
                  cpu0 = s.cpu;
                  w0 = performance.now();
                } else {
                  cpu1 = s.cpu;
                  w1 = performance.now();
                }
              },
            });
            if (cpu0 && cpu1) {
              const a = cpu0 as NodeJS.CpuUsage;
              const b = cpu1 as NodeJS.CpuUsage;
              cell.serverCpuPct = cpuPercent({ user: b.user - a.user, system: b.system - a.system }, w1 - w0);
            }
            cell.serverRss = target.memory().rss;
            sampling = false;
            if (kind === 'mailroom') cell.maxBacklog = await sampler;
            else cell.readyRate = cell.load.perSecond;
            if (kind === 'mailroom') {
              cell.parseLagMs = await target.idle(180_000);
              const ids = [...cell.load.acks.keys()];
              const readyAt = await target.readyTimes(ids);
              recordReady(cell, ids, readyAt);
            }
          } catch (err) {
            cell.error = (err as Error).message.split('\n')[0];
          } finally {
            sampling = false;
            await sampler.catch(() => 0);
          }
          cells.push(cell);
          const l = cell.load;
          plan.log(
            `  ${kind} ${size} ${mode} ×${n}${rate ? ` at ${rate}/s offered` : ''}: ` +
              (l
                ? `${l.perSecond.toFixed(0)} msg/s, p50 ${l.latency.p50.toFixed(2)} ms, p99 ${l.latency.p99.toFixed(2)} ms, greet p50 ${l.greeting.p50.toFixed(1)} ms, errors ${l.errors}` +
                  (cell.parseLagMs !== null ? `, parse lag ${(cell.parseLagMs / 1000).toFixed(1)} s` : '') +
                  (cell.readyRate ? `, ready ${cell.readyRate.toFixed(0)} msg/s, max backlog ${cell.maxBacklog ?? '-'}` : '') +
                  (cell.readyLatency ? `, 250→ready p50 ${cell.readyLatency.p50.toFixed(1)} ms, p99 ${cell.readyLatency.p99.toFixed(1)} ms, never ready ${cell.readyMissing}` : '')
                : `failed: ${cell.error}`),
          );
        }
      } finally {
        await target.stop();
      }
    }
  }
  return cells;
}
