// The targets of issue 7, as ratios and thresholds over one run's figures,
// each answered "met", "not met" or "not measured" (the cell was not run or
// the route is not there yet).
import type { IngestCell } from './ingest.js';
import type { ReadStage } from './report.js';
import type { PruneBenchResult } from './prune.js';
import { fmtBytes, fmtMs, fmtRate } from './table.js';

export interface GoalResult {
  goal: string;
  measured: string;
  verdict: 'met' | 'not met' | 'not measured';
}

function cell(cells: IngestCell[], target: string, size: string, mode: string, senders: number): IngestCell | undefined {
  return cells.find((c) => c.target === target && c.size === size && c.mode === mode && c.senders === senders && !c.offered && c.load);
}

/** A latency with its unit: fmtMs writes seconds as "1.05 s" and milliseconds bare. */
const ms = (n: number | undefined | null): string => {
  const t = fmtMs(n);
  return t.endsWith(' s') || t === 'n/a' ? t : `${t} ms`;
};

const verdict = (ok: boolean | null): GoalResult['verdict'] => (ok === null ? 'not measured' : ok ? 'met' : 'not met');

export function evaluateGoals(cells: IngestCell[], reads: ReadStage[], prunes: PruneBenchResult[] = []): GoalResult[] {
  const out: GoalResult[] = [...processingGoals(cells, prunes)];
  const mr = cell(cells, 'mailroom', '5KB', 'persistent', 16);
  const md = cell(cells, 'maildev-memory', '5KB', 'persistent', 16);
  const bare = cell(cells, 'bare', '5KB', 'persistent', 16);
  const rate = (c?: IngestCell) => c?.load?.perSecond ?? NaN;

  {
    const r = rate(mr) / rate(md);
    out.push({
      goal: 'durable 16 conns 5 KB ≥ 3 × MailDev in-memory',
      measured: Number.isFinite(r) ? `${r.toFixed(2)} × (${fmtRate(rate(mr))} vs ${fmtRate(rate(md))} msg/s)` : 'n/a',
      verdict: verdict(Number.isFinite(r) ? r >= 3 : null),
    });
  }
  {
    const r = rate(mr) / rate(bare);
    out.push({
      goal: 'durable 16 conns 5 KB ≥ 60% of bare smtp-server',
      measured: Number.isFinite(r) ? `${(r * 100).toFixed(0)}% (${fmtRate(rate(mr))} vs ${fmtRate(rate(bare))} msg/s)` : 'n/a',
      verdict: verdict(Number.isFinite(r) ? r >= 0.6 : null),
    });
  }
  {
    const c = cell(cells, 'mailroom', '5KB', 'per-message', 64);
    const v = rate(c);
    out.push({
      goal: 'one connection per message, 64 senders ≥ 1,000 msg/s',
      measured: Number.isFinite(v) ? `${fmtRate(v)} msg/s (connect→220 p50 ${ms(c!.load!.greeting.p50)})` : 'n/a',
      verdict: verdict(Number.isFinite(v) ? v >= 1000 : null),
    });
  }
  {
    const ps = cells.filter((c) => c.target === 'mailroom' && c.senders === 16 && c.load && c.load.latency.count > 0);
    const worst = ps.reduce<IngestCell | undefined>((w, c) => (!w || c.load!.latency.p99 > w.load!.latency.p99 ? c : w), undefined);
    out.push({
      goal: 'p99 final dot → 250 < 25 ms at 16 conns (every size/mode)',
      measured: worst ? `worst ${ms(worst.load!.latency.p99)} (${worst.size} ${worst.mode}); 5 KB persistent ${ms(mr?.load?.latency.p99)}` : 'n/a',
      verdict: verdict(worst ? worst.load!.latency.p99 < 25 : null),
    });
  }
  const biggest = [...reads].sort((a, b) => b.stored - a.stored)[0];
  const at = biggest ? `at ${biggest.stored.toLocaleString('en-US')}` : '';
  const million = biggest?.stored === 1_000_000 ? '' : ' (1M not run: figure at the largest size run)';
  const ep = (name: string) => biggest?.endpoints.find((e) => e.endpoint === name);
  for (const [name, limit] of [
    ['inbox page', 5],
    ['API list', 5],
    ['search', 50],
  ] as const) {
    const e = ep(name);
    const p50 = e?.latency?.p50;
    out.push({
      goal: `${name} p50 < ${limit} ms at 1M stored`,
      measured: e ? (e.latency ? `${ms(p50)} ${at}${million}` : `${e.note} ${at}`) : 'n/a',
      verdict: verdict(p50 === undefined ? null : p50 < limit),
    });
  }
  out.push({
    goal: 'server RSS < 250 MB at 1M stored',
    measured: biggest ? `${fmtBytes(biggest.rss)} (peak ${fmtBytes(biggest.peakRss)}) ${at}${million}` : 'n/a',
    verdict: verdict(biggest ? biggest.peakRss < 250 * 1024 * 1024 : null),
  });
  out.push({
    goal: 'stored bytes ≤ raw bytes received',
    measured: biggest ? `${biggest.dbPerRaw.toFixed(2)} × (${fmtBytes(biggest.dbBytes)} for ${fmtBytes(biggest.rawBytes)} raw) ${at}` : 'n/a',
    verdict: verdict(biggest ? biggest.dbPerRaw <= 1 : null),
  });
  return out;
}

/** Issue 16: processing keeps up with ingest, and retention does not starve it. */
function processingGoals(cells: IngestCell[], prunes: PruneBenchResult[]): GoalResult[] {
  const out: GoalResult[] = [];
  const saturated = cells.filter((c) => c.target === 'mailroom' && c.mode === 'persistent' && !c.offered && c.load && c.readyRate !== null);
  {
    // Every persistent cell at 16 and 64 senders; the worst ratio decides.
    const ratios = saturated.filter((c) => c.senders >= 16).map((c) => ({ c, r: c.readyRate! / c.load!.perSecond }));
    const worst = ratios.reduce<(typeof ratios)[number] | undefined>((w, x) => (!w || x.r < w.r ? x : w), undefined);
    out.push({
      goal: 'ready rate ≥ 0.8 × Mailroom 250 rate (16, 64 senders, each size)',
      measured: worst ? `worst ${worst.r.toFixed(2)} × (${worst.c.size} ×${worst.c.senders}: ${fmtRate(worst.c.readyRate!)} ready vs ${fmtRate(worst.c.load!.perSecond)} 250/s); ${ratios.map((x) => `${x.c.size} ×${x.c.senders} ${x.r.toFixed(2)}`).join(', ')}` : 'n/a',
      verdict: verdict(worst ? worst.r >= 0.8 : null),
    });
  }
  {
    const mr = cell(cells, 'mailroom', '5KB', 'persistent', 16);
    const md = cell(cells, 'maildev-memory', '5KB', 'persistent', 16);
    const r = (mr?.readyRate ?? NaN) / (md?.load?.perSecond ?? NaN);
    out.push({
      goal: 'ready rate ≥ 1.5 × MailDev 250 rate (5 KB, 16 senders)',
      measured: Number.isFinite(r) ? `${r.toFixed(2)} × (${fmtRate(mr!.readyRate!)} vs ${fmtRate(md!.load!.perSecond)} msg/s)` : 'n/a',
      verdict: verdict(Number.isFinite(r) ? r >= 1.5 : null),
    });
  }
  {
    const paced = cells.find((c) => c.target === 'mailroom' && c.offered === 1000 && c.readyLatency && c.load);
    out.push({
      goal: '250→ready p99 < 100 ms at 1,000 msg/s offered',
      measured: paced ? `${ms(paced.readyLatency!.p99)} (${paced.size} ×${paced.senders}, ${fmtRate(paced.load!.perSecond)} msg/s acknowledged)` : 'n/a',
      verdict: verdict(paced ? paced.readyLatency!.p99 < 100 : null),
    });
  }
  {
    const p = prunes.find((x) => x.prune);
    const ratio = p ? p.during.perSecond / p.before.perSecond : NaN;
    out.push({
      goal: 'during a prune of 90%: ingest ≥ 0.5 × before, p99 dot→250 < 100 ms',
      measured: p ? `${ratio.toFixed(2)} × (${fmtRate(p.during.perSecond)} vs ${fmtRate(p.before.perSecond)} msg/s), p99 ${ms(p.during.latency.p99)}` : 'n/a',
      verdict: verdict(p ? ratio >= 0.5 && p.during.latency.p99 < 100 : null),
    });
  }
  return out;
}
