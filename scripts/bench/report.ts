// Turns one run's figures into the printed report: machine, ingest table,
// read table, prune table, and the issue's targets with met / not met.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { IngestCell } from './ingest.js';
import { READ_ENDPOINTS, type EndpointResult } from './read.js';
import type { PruneBenchResult } from './prune.js';
import type { PgReadStage } from './pg-read.js';
import { evaluateGoals } from './goals.js';
import { fmtBytes, fmtCount, fmtMs, fmtPct, fmtRate, table } from './table.js';

export interface ReadStage {
  stored: number;
  seedMs: number;
  rawBytes: number;
  dbBytes: number;
  dbPerRaw: number;
  rss: number;
  peakRss: number;
  endpoints: EndpointResult[];
}

export interface Machine {
  cpus: number;
  model: string;
  node: string;
  loadBefore: number[];
  loadAfter?: number[];
  command: string;
  date: string;
  /** Commit, and how many files under src/ differed from it when the run started. */
  git: string;
}

function gitState(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
    return dirty ? `${head} + ${dirty} uncommitted file(s) under src/` : head;
  } catch {
    return 'unknown';
  }
}

export function machine(command: string): Machine {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    model = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1] ?? model;
  } catch {
    /* not Linux */
  }
  return { cpus: os.availableParallelism(), model, node: process.version, loadBefore: os.loadavg(), command, date: new Date().toISOString(), git: gitState() };
}

const TARGET_NAMES: Record<string, string> = {
  mailroom: 'Mailroom (durable)',
  bare: 'bare smtp-server',
  'maildev-memory': 'MailDev 3 in-memory',
  'maildev-dir': 'MailDev 3 mail dir',
  'mailroom-pg': 'Mailroom PostgreSQL',
};

function receiverName(c: IngestCell): string {
  if (c.target === 'mailroom-pg') return `Mailroom PostgreSQL, ${c.nodes ?? 1} node${c.nodes === 1 ? '' : 's'}`;
  return c.target === 'mailroom' ? 'Mailroom SQLite (durable)' : TARGET_NAMES[c.target];
}

export function ingestTable(cells: IngestCell[]): string {
  const rows = cells.map((c) => {
    const l = c.load;
    if (!l) return [receiverName(c), c.size, c.mode, String(c.senders), `failed: ${c.error ?? ''}`.slice(0, 60), '', '', '', '', '', '', '', '', '', '', '', ''];
    return [
      receiverName(c),
      c.size,
      c.offered ? `${c.mode}, ${fmtRate(c.offered)}/s offered` : c.mode,
      String(c.senders),
      fmtRate(l.perSecond),
      c.readyRate === null ? '' : fmtRate(c.readyRate) + (c.target === 'mailroom' || c.target === 'mailroom-pg' ? '' : ' (at 250)'),
      c.commitsPerSecond === undefined || c.commitsPerSecond === null ? '' : fmtRate(c.commitsPerSecond),
      c.maxBacklog === null ? '' : fmtCount(c.maxBacklog),
      fmtMs(l.latency.p50),
      fmtMs(l.latency.p99),
      c.mode === 'per-message' ? fmtMs(l.greeting.p50) : '',
      fmtPct(l.clientCpuPct),
      fmtPct(c.serverCpuPct),
      c.parseLagMs === null ? '' : `${(c.parseLagMs / 1000).toFixed(2)} s`,
      c.readyLatency ? fmtMs(c.readyLatency.p50) : '',
      c.readyLatency ? fmtMs(c.readyLatency.p99) + (c.readyMissing ? ` (${c.readyMissing} never)` : '') : '',
      String(l.errors + l.abandoned) + (l.errorSamples.length ? ` (${l.errorSamples[0].slice(0, 40)})` : ''),
    ];
  });
  return table(
    ['receiver', 'size', 'connections', 'senders', '250 msg/s', 'ready msg/s', 'commits/s', 'max backlog', 'p50 ms', 'p99 ms', 'connect→220 p50 ms', 'client CPU', 'server CPU', 'parse lag', '250→ready p50 ms', '250→ready p99 ms', 'errors'],
    rows,
    ['l', 'l', 'l'],
  );
}

/** 'p50 / p99' of each of read.ts's endpoints, in READ_ENDPOINTS order (the note when it has no figures). */
function endpointCells(endpoints: EndpointResult[]): string[] {
  return READ_ENDPOINTS.map((n) => {
    const e = endpoints.find((x) => x.endpoint === n);
    if (!e) return 'n/a';
    if (!e.latency) return e.note;
    return `${fmtMs(e.latency.p50)} / ${fmtMs(e.latency.p99)}`;
  });
}

export function readTable(stages: ReadStage[]): string {
  const rows = stages.map((s) => [
    fmtCount(s.stored),
    ...endpointCells(s.endpoints),
    fmtBytes(s.rss),
    fmtBytes(s.peakRss),
    `${s.dbPerRaw.toFixed(2)} (${fmtBytes(s.dbBytes)})`,
    fmtMs(s.seedMs),
  ]);
  return table(
    ['stored', 'inbox page p50/p99 ms', 'message page', 'API list', 'search', 'count', 'server RSS', 'peak RSS', 'DB bytes / raw byte', 'seeding took'],
    rows,
  );
}

export function pruneTable(results: PruneBenchResult[]): string {
  const rows = results.map((r) => [
    fmtCount(r.stored),
    r.prune ? `${fmtCount(r.prune.deleted)}${r.prune.timedOut ? ' (stopped at time limit)' : ''}` : `failed: ${(r.error ?? '').split('\n')[0]}`.slice(0, 70),
    r.prune
      ? r.prune.timedOut && r.prune.deleted > 0
        ? `${fmtMs(r.prune.ms)} (projected ${fmtMs((r.prune.ms * r.prune.target) / r.prune.deleted)} for all)`
        : fmtMs(r.prune.ms)
      : 'n/a',
    r.prune ? `${r.prune.batches}${Number.isFinite(r.prune.maxBatchMs) ? ` (longest ${fmtMs(r.prune.maxBatchMs)} ms)` : ''}` : 'n/a',
    `${fmtRate(r.before.perSecond)} / ${fmtMs(r.before.latency.p99)} / ${fmtMs(r.before.latency.max)}`,
    `${fmtRate(r.during.perSecond)} / ${fmtMs(r.during.latency.p99)} / ${fmtMs(r.during.latency.max)}`,
  ]);
  return table(
    ['stored', 'removed (90%)', 'prune took', 'batches', 'before: msg/s / p99 / max ms', 'during: msg/s / p99 / max ms'],
    rows,
  );
}

export function pgReadTable(stages: PgReadStage[]): string {
  const rows = stages.flatMap((s) => {
    const lat = (ops: PgReadStage['ops']) => ops.map((o) => (o.latency ? `${fmtMs(o.latency.p50)} / ${fmtMs(o.latency.p99)}` : 'n/a'));
    return [
      [
        fmtCount(s.stored),
        'PostgreSQL',
        ...lat(s.ops),
        `${fmtBytes(s.sizes.database)} (${(s.sizes.database / s.sizes.rawBytes).toFixed(2)} × raw, ${fmtBytes(s.sizes.database / s.sizes.messages)} per copy)`,
        ['contents', 'messages', 'attachments', 'blobs'].map((t) => `${t} ${fmtBytes(s.sizes.tables[t] ?? 0)}`).join(', '),
        fmtMs(s.seedMs),
      ],
      [
        fmtCount(s.stored),
        'SQLite',
        ...lat(s.sqliteOps),
        s.sqliteBytes === null ? 'n/a' : `${fmtBytes(s.sqliteBytes)} (${(s.sqliteBytes / s.sizes.rawBytes).toFixed(2)} × raw, ${fmtBytes(s.sqliteBytes / s.sizes.messages)} per copy)`,
        '',
        '',
      ],
    ];
  });
  return table(
    ['stored', 'engine', 'list 50 p50/p99 ms', 'get + body', 'search', 'count', 'database size', 'pg_total_relation_size', 'seeding took'],
    rows,
    ['l', 'l'],
  );
}

/** read.ts's pages and API calls against a whole node of each engine on the same seeded mail, in the same run. */
export function pgHttpReadTable(stages: PgReadStage[]): string {
  const rows = stages.flatMap((s) =>
    (
      [
        ['PostgreSQL node', s.http],
        ['SQLite node', s.sqliteHttp],
      ] as const
    ).map(([engine, r]) =>
      r.error
        ? [fmtCount(s.stored), engine, `failed: ${r.error}`.slice(0, 70), '', '', '', '', '', '']
        : [fmtCount(s.stored), engine, ...endpointCells(r.endpoints), fmtBytes(r.rss), fmtBytes(r.peakRss)],
    ),
  );
  return table(['stored', 'engine', 'inbox page p50/p99 ms', 'message page', 'API list', 'search', 'count', 'node RSS', 'peak RSS'], rows, ['l', 'l']);
}

export interface Report {
  pgReads?: PgReadStage[];
  machine: Machine;
  ingest: IngestCell[];
  reads: ReadStage[];
  prunes: PruneBenchResult[];
  pruneMethod: string;
  profiles: string[];
  notes: string[];
}

export function formatReport(r: Report): string {
  const m = r.machine;
  const parts: string[] = [];
  parts.push(`Machine: ${m.cpus} CPUs (${m.model}), Node ${m.node}, ${m.date}`);
  parts.push(`Command: ${m.command}`);
  parts.push(`Code: ${m.git}`);
  parts.push(`Load average before: ${m.loadBefore.map((x) => x.toFixed(2)).join(' ')}${m.loadAfter ? `; after: ${m.loadAfter.map((x) => x.toFixed(2)).join(' ')}` : ''}`);
  if (r.ingest.length) {
    parts.push('');
    parts.push('Ingest: messages/s and final dot → 250 latency; the load client and each receiver run in separate processes on 127.0.0.1; CPU is % of one core over the window; 250→ready: the 250 at the client to the ready event in Mailroom (issue 10); ready msg/s: the window\'s acknowledged messages over first 250 → last ready (issue 16; MailDev and the bare server keep a message when they answer 250, so theirs is the 250 rate); max backlog: acknowledged and not ready, sampled every 100 ms. Mailroom PostgreSQL: receiving nodes (each its own process) on one fresh database, senders spread across them, ready as heard by node 0 through LISTEN/NOTIFY; server CPU is the nodes\' sum, PostgreSQL\'s own not included; commits/s: durable group commits of received mail, all nodes.');
    parts.push('');
    parts.push(ingestTable(r.ingest));
  }
  if (r.reads.length) {
    parts.push('');
    parts.push('Read: one request at a time over keep-alive, p50 / p99 ms; inboxes drawn Zipf-weighted from 10,000; admin key for the API.');
    parts.push('');
    parts.push(readTable(r.reads));
  }
  if (r.pgReads?.length) {
    parts.push('');
    parts.push('Reads over HTTP, PostgreSQL beside SQLite on the same seeded mail in this run: a whole node of each engine (startPostgresNode on the seeded database, startMailroom on a SQLite store of the same mail), each in its own process, the read table\'s pages and API calls one request at a time over keep-alive (p50 / p99 ms), inboxes Zipf-weighted, admin key; search is /api/inbox-search, the Mailsac match of the query in subject, From or To over every inbox (not the full-text search of the MessageReader table below); node RSS is the Mailroom process only, PostgreSQL\'s own not included.');
    parts.push('');
    parts.push(pgHttpReadTable(r.pgReads));
    parts.push('');
    parts.push('The same mail through the MessageReader of each engine: one call at a time in the bench process (p50 / p99 ms; the store\'s share of a page, without routing and rendering), inboxes Zipf-weighted, search over every inbox (admin); PostgreSQL sizes after VACUUM ANALYZE (pg_database_size), SQLite the data directory; raw = bytes received.');
    parts.push('');
    parts.push(pgReadTable(r.pgReads));
  }
  if (r.prunes.length) {
    parts.push('');
    parts.push(`Prune (${r.prunes[0]?.prune?.method ?? r.pruneMethod}), 4 persistent senders of 5 KB messages running throughout:`);
    parts.push('');
    parts.push(pruneTable(r.prunes));
  }
  const goals = evaluateGoals(r.ingest, r.reads, r.prunes);
  parts.push('');
  parts.push('Targets (issues 7 and 16):');
  parts.push('');
  parts.push(table(['target', 'measured', 'verdict'], goals.map((g) => [g.goal, g.measured, g.verdict]), ['l', 'l', 'l']));
  if (r.notes.length) {
    parts.push('');
    for (const n of r.notes) parts.push(`Note: ${n}`);
  }
  return parts.join('\n');
}
