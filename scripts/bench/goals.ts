// The targets of issue 7, as ratios and thresholds over one run's figures,
// each answered "met", "not met" or "not measured" (the cell was not run or
// the route is not there yet).
import type { IngestCell } from './ingest.js';
import type { ReadStage } from './report.js';
import { fmtBytes, fmtMs, fmtRate } from './table.js';

export interface GoalResult {
  goal: string;
  measured: string;
  verdict: 'met' | 'not met' | 'not measured';
}

function cell(cells: IngestCell[], target: string, size: string, mode: string, senders: number): IngestCell | undefined {
  return cells.find((c) => c.target === target && c.size === size && c.mode === mode && c.senders === senders && c.load);
}

/** A latency with its unit: fmtMs writes seconds as "1.05 s" and milliseconds bare. */
const ms = (n: number | undefined | null): string => {
  const t = fmtMs(n);
  return t.endsWith(' s') || t === 'n/a' ? t : `${t} ms`;
};

const verdict = (ok: boolean | null): GoalResult['verdict'] => (ok === null ? 'not measured' : ok ? 'met' : 'not met');

export function evaluateGoals(cells: IngestCell[], reads: ReadStage[]): GoalResult[] {
  const out: GoalResult[] = [];
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
