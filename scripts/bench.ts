// npm run bench [-- options]: ingest, read and prune figures for Mailroom
// against a bare smtp-server (the ceiling) and MailDev 3, measured in one run
// on this machine, printed as tables with the issue 7 targets met / not met.
// Each receiver runs in its own child process (scripts/bench/serve-target.ts);
// everything listens on 127.0.0.1 and lives in a temp directory removed at the end.
//
//   --quick              a few minutes: 5 KB and 200 KB at 16 and 64 persistent
//                        senders, the cells the targets need, 10k stored for read and prune
//   --only=a,b           ingest, read, prune, push, pg, profile (default: all but profile)
//                        pg: PostgreSQL (issue 14) at MAILROOM_BENCH_POSTGRES_URL (default
//                        postgres://postgres@127.0.0.1:5432/postgres), each part in a fresh
//                        database bench_<time>_<random> dropped at the end: 5 KB ingest with
//                        one and two receiving nodes at 16 and 64 senders beside the SQLite
//                        engine's row, and reads at --pg-read-size stored (bench/pg-*.ts):
//                        each engine's MessageReader in-process, and a whole node of each
//                        engine (web + API) over HTTP, as the read bench times them;
//                        without a server it prints one line and goes on
//   --pg-read-size=N     stored messages for the PostgreSQL reads (default 100000)
//                        push: 100 websocket listeners × 1,000 messages (quick: 200),
//                        250→frame p50/p99, webhook throughput (bench/push.ts)
//   --read-sizes=N,...   stored messages for the read bench (default 10000,100000,1000000)
//   --profile[=DIR]      also profile the Mailroom child (node --cpu-prof) for
//                        5 KB ×16 persistent, ×64 one-per-message and 200 KB ×16
//                        persistent, summarise
//                        the top self-time functions, keep the .cpuprofile files in DIR
//   --duration=MS        measuring window per ingest cell (default 3000, quick 1500)
//   --json=FILE          also write every figure as JSON
//   --keep               keep the temp directory (databases, mail dirs)
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../src/store/index.js';
import { TARGET_KINDS } from './bench/adapters.js';
import { runIngest, recipientPicker, type IngestCell, type Mode } from './bench/ingest.js';
import { dataPayload, runLoad } from './bench/load-client.js';
import { benchMessages, type BenchSize } from './bench/messages.js';
import { formatProfile, isLoaderThread, loadProfile, summarizeProfile } from './bench/profile.js';
import { PRUNE_METHOD, runPruneBench, type PruneBenchResult } from './bench/prune.js';
import { describeEndpoint, runReadBench, type ReadSample } from './bench/read.js';
import { formatPush, runPushBench, type PushBenchResult } from './bench/push.js';
import { formatReport, machine, type ReadStage } from './bench/report.js';
import { Seeder } from './bench/seed.js';
import { rng, zipf } from './bench/stats.js';
import { fmtCount } from './bench/table.js';
import { TargetProcess } from './bench/targets.js';
import { runPgIngest } from './bench/pg-ingest.js';
import type { PgReadStage } from './bench/pg-read.js';
import { runPgReadStage } from './bench/pg-read-stage.js';
import { dirBytes } from './bench/dir-bytes.js';

const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

interface Args {
  quick: boolean;
  only: Set<string>;
  readSizes: number[];
  profile: string | null;
  durationMs: number;
  json: string | null;
  keep: boolean;
  pgReadSize: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const val = (name: string) => get(name)?.split('=').slice(1).join('=') || '';
  const quick = Boolean(get('quick'));
  const only = new Set((val('only') || 'ingest,read,prune,push,pg').split(',').map((s) => s.trim()));
  const readSizes = (val('read-sizes') || (quick ? '10000' : '10000,100000,1000000')).split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
  const profile = get('profile') || only.has('profile') ? val('profile') || path.resolve('bench-profiles') : null;
  const durationMs = Number(val('duration') || (quick ? 1500 : 3000));
  for (const a of argv) {
    if (!/^--(quick|only|read-sizes|profile|duration|json|keep|pg-read-size)(=|$)/.test(a)) {
      process.stderr.write(`bench: unknown option ${a}\n`);
      process.exit(2);
    }
  }
  return { quick, only, readSizes, profile, durationMs, json: val('json') || null, keep: Boolean(get('keep')), pgReadSize: Number(val('pg-read-size') || 100_000) };
}

const log = (s: string) => process.stderr.write(`${s}\n`);

async function ingest(args: Args, workDir: string): Promise<IngestCell[]> {
  // Quick: both sizes at 16 and 64 persistent senders (issue 16's table), the
  // one-per-message cell of issue 7, and 250→ready at 1,000 msg/s offered.
  const quickCells = new Set(['mailroom/persistent/16', 'bare/persistent/16', 'maildev-memory/persistent/16', 'mailroom/persistent/64', 'bare/persistent/64', 'maildev-memory/persistent/64', 'mailroom/per-message/64', 'bare/per-message/64']);
  return runIngest({
    targets: args.quick ? ['mailroom', 'bare', 'maildev-memory'] : TARGET_KINDS,
    sizes: ['5KB', '200KB'],
    paced: [{ size: '5KB', senders: 16, rate: 1000 }],
    modes: ['persistent', 'per-message'],
    senders: [1, 16, 64],
    warmupMs: args.quick ? 300 : 500,
    durationMs: args.durationMs,
    filter: args.quick ? (t, s, m, n) => quickCells.has(`${t}/${m}/${n}`) && (s === '5KB' || m === 'persistent') : undefined,
    workDir: path.join(workDir, 'ingest'),
    log,
  });
}

async function readAndPrune(args: Args, workDir: string, notes: string[]): Promise<{ reads: ReadStage[]; prunes: PruneBenchResult[] }> {
  const dataDir = path.join(workDir, 'read');
  mkdirSync(dataDir, { recursive: true });
  const reads: ReadStage[] = [];
  const prunes: PruneBenchResult[] = [];
  const sizes = args.only.has('read') ? args.readSizes : [args.readSizes[args.readSizes.length - 1]];
  const readerRandom = rng(99);
  let seeder: Seeder | null = null;
  let seedMs = 0;
  for (const [i, size] of sizes.entries()) {
    // The seeding connection only: a big page cache keeps the random-key index
    // inserts (ids, inboxes) and the FTS merges off the disk. The server opens
    // its own connection with its own settings.
    const store = openStore(dataDir, { cacheKiB: 1_000_000 });
    if (seeder) seeder.attach(store);
    else seeder = new Seeder(store);
    if (seeder.count < size) {
      log(`seeding ${fmtCount(size - seeder.count)} messages (to ${fmtCount(size)}) …`);
      let lastLog = performance.now();
      const adding = size - seeder.count;
      const ms = seeder.add(adding, (done) => {
        if (performance.now() - lastLog > 30_000) {
          lastLog = performance.now();
          log(`  … ${fmtCount(done)} added`);
        }
      });
      seedMs += ms;
      log(`  done in ${(ms / 1000).toFixed(1)} s (${((ms * 1000) / adding).toFixed(0)} µs per message; seeding so far ${(seedMs / 1000).toFixed(0)} s)`);
    }
    // Bench-only reads straight from the file (the Store keeps its handle to itself).
    const messages: Array<{ id: string; inbox: string }> = [];
    {
      const peek = new Database(store.file, { readonly: true });
      const maxSeq = peek.prepare('SELECT max(seq) FROM messages').pluck().get() as number;
      const bySeq = peek.prepare('SELECT id, inbox FROM messages WHERE seq >= ? ORDER BY seq LIMIT 1');
      for (let k = 0; k < 500; k++) messages.push(bySeq.get(1 + Math.floor(readerRandom() * maxSeq)) as { id: string; inbox: string });
      peek.close();
    }
    const rawBytes = store.messages.stats().rawBytes;
    store.close();
    const dbBytes = dirBytes(dataDir);
    const pickInbox = zipf(seeder.inboxes, 1.0, readerRandom);
    let mi = 0;
    const sample: ReadSample = {
      inbox: () => `user${pickInbox()}@${seeder!.domain}`,
      message: () => messages[mi++ % messages.length],
      queries: seeder.searchQueries(),
    };
    const target = await TargetProcess.start('mailroom', { dataDir, adminKey: ADMIN_KEY });
    try {
      if (args.only.has('read')) {
        log(`read bench at ${fmtCount(size)} stored …`);
        const endpoints = await runReadBench(target, sample, { requests: args.quick ? 50 : 200, adminKey: ADMIN_KEY, maxMsPerEndpoint: args.quick ? 4000 : 20_000 });
        const mem = target.memory();
        reads.push({ stored: size, seedMs, rawBytes, dbBytes, dbPerRaw: dbBytes / rawBytes, rss: mem.rss, peakRss: mem.peak, endpoints });
        for (const e of endpoints) log(`  ${describeEndpoint(e)}`);
      }
      if (args.only.has('prune') && i === sizes.length - 1) {
        log(`prune bench: removing 90% of ${fmtCount(size)} while 4 senders deliver …`);
        const r = await runPruneBench(target, size, {
          payloads: benchMessages('5KB', 16, 'mailroom.test', 11).map(dataPayload),
          recipient: recipientPicker('mailroom.test', 10_000, 5),
          senders: 4,
          timeoutMs: args.quick ? 60_000 : 4 * 60_000,
        });
        prunes.push(r);
        log(`  ${r.prune ? `removed ${r.prune.deleted} in ${(r.prune.ms / 1000).toFixed(1)} s` : `failed: ${r.error}`}; worst dot→250 during: ${r.during.latency.max.toFixed(1)} ms`);
        if (r.prune && r.prune.method !== PRUNE_METHOD) notes.push(`the prune figure uses a stand-in (${r.prune.method}): this build has no retention prune().`);
      }
    } finally {
      await target.stop();
    }
  }
  return { reads, prunes };
}

/**
 * PostgreSQL (issue 14): ingest with one and two nodes beside the SQLite
 * engine's row (run here too when the ingest part was not), then reads at
 * args.pgReadSize stored (bench/pg-read-stage.ts): each engine's
 * MessageReader, and a whole node of each engine over HTTP, on the same
 * seeded mail, with the database's size against the SQLite store's.
 */
async function postgresBench(args: Args, workDir: string, sqliteIngest: IngestCell[], notes: string[]): Promise<{ ingest: IngestCell[]; reads: PgReadStage[] }> {
  const ingest: IngestCell[] = [];
  const sqliteRows = sqliteIngest.filter((c) => c.target === 'mailroom' && c.size === '5KB' && c.mode === 'persistent' && !c.offered && (c.senders === 16 || c.senders === 64));
  if (!sqliteRows.length) {
    log('ingest, SQLite engine (beside PostgreSQL) …');
    ingest.push(
      ...(await runIngest({
        targets: ['mailroom'],
        sizes: ['5KB'],
        modes: ['persistent'],
        senders: [16, 64],
        warmupMs: args.quick ? 300 : 500,
        durationMs: args.durationMs,
        workDir: path.join(workDir, 'ingest-sqlite'),
        log,
      })),
    );
  }
  log('ingest, PostgreSQL engine …');
  const pg = await runPgIngest({
    nodes: [1, 2],
    senders: [16, 64],
    size: '5KB',
    payloads: benchMessages('5KB', 32).map(dataPayload),
    warmupMs: args.quick ? 300 : 500,
    durationMs: args.durationMs,
    workDir: path.join(workDir, 'ingest-pg'),
    log,
  });
  if (!pg) {
    notes.push('no PostgreSQL answered at MAILROOM_BENCH_POSTGRES_URL: no PostgreSQL figures.');
    return { ingest, reads: [] };
  }
  ingest.push(...pg);
  const stage = await runPgReadStage({
    stored: args.pgReadSize,
    requests: args.quick ? 100 : 300,
    maxMsPerOp: args.quick ? 4000 : 20_000,
    adminKey: ADMIN_KEY,
    workDir,
    log,
  });
  if ('unavailable' in stage) {
    log(`bench: ${stage.unavailable}`);
    return { ingest, reads: [] };
  }
  for (const [engine, r] of [['PostgreSQL', stage.http], ['SQLite', stage.sqliteHttp]] as const)
    if (r.error) notes.push(`the ${engine} node for the HTTP reads failed: ${r.error}`);
  return { ingest, reads: [stage] };
}

async function profileRuns(args: Args, workDir: string): Promise<string[]> {
  const dir = args.profile!;
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  const cells: Array<{ mode: Mode; senders: number; size: BenchSize }> = [
    { mode: 'persistent', senders: 16, size: '5KB' },
    { mode: 'per-message', senders: 64, size: '5KB' },
    { mode: 'persistent', senders: 16, size: '200KB' },
  ];
  for (const c of cells) {
    const name = `mailroom-${c.size}-${c.mode}-${c.senders}`;
    const dataDir = path.join(workDir, `profile-${name}`);
    mkdirSync(dataDir, { recursive: true });
    const before = new Set(readdirSync(dir));
    // No fixed profile name: every thread (main, Mailroom's own workers, tsx's
    // loader thread) writes its own CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile.
    const target = await TargetProcess.start('mailroom', { dataDir }, { cpuProfDir: dir });
    let summary = '';
    try {
      const r = await runLoad({
        port: target.smtpPort,
        senders: c.senders,
        mode: c.mode,
        payloads: benchMessages(c.size, 32).map(dataPayload),
        recipient: recipientPicker(),
        warmupMs: 500,
        durationMs: args.quick ? 3000 : 8000,
      });
      summary = `${r.perSecond.toFixed(0)} msg/s, p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms`;
      await target.idle(180_000);
    } finally {
      await target.stop();
    }
    const fresh = readdirSync(dir).filter((f) => !before.has(f) && /^CPU\..*\.cpuprofile$/.test(f));
    if (!fresh.length) {
      out.push(`### ${name}: no profile written`);
      continue;
    }
    for (const f of fresh) {
      const tid = Number(f.split('.')[4] ?? NaN);
      const renamed = path.join(dir, `${name}.thread${tid}.cpuprofile`);
      renameSync(path.join(dir, f), renamed);
      const prof = summarizeProfile(loadProfile(renamed), 25);
      if (tid !== 0 && isLoaderThread(prof)) continue;
      const thread = tid === 0 ? 'main thread' : `worker thread ${tid}`;
      out.push(formatProfile(`Mailroom server ${thread}, ${c.size} ${c.mode} ×${c.senders} (${summary}); includes the parse queue catching up; ${renamed}`, prof, 25));
      log(out[out.length - 1]);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const command = `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`;
  const m = machine(command);
  const started = performance.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-'));
  const cleanup = () => {
    if (!args.keep) rmSync(workDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  log(`bench: ${m.cpus} CPUs (${m.model}), Node ${m.node}, load average ${m.loadBefore.map((x) => x.toFixed(2)).join(' ')}; work dir ${workDir}`);
  if (m.loadBefore[0] > 1) log('bench: warning: the machine is busy (load average above 1); figures will be lower and noisier');
  const notes: string[] = [];
  let ingestCells: IngestCell[] = [];
  let reads: ReadStage[] = [];
  let prunes: PruneBenchResult[] = [];
  let profiles: string[] = [];
  let push: PushBenchResult | null = null;
  let pgReads: PgReadStage[] = [];
  try {
    if (args.only.has('ingest')) {
      log('ingest …');
      ingestCells = await ingest(args, workDir);
    }
    if (args.only.has('read') || args.only.has('prune')) ({ reads, prunes } = await readAndPrune(args, workDir, notes));
    if (args.only.has('push')) {
      log('push …');
      // The issue's figure is 100 listeners × 1,000 messages; --quick keeps the listeners and sends fewer.
      push = await runPushBench({ listeners: 100, messages: args.quick ? 200 : 1000, webhooks: args.quick ? 200 : 1000, log });
    }
    if (args.only.has('pg')) {
      const pg = await postgresBench(args, workDir, ingestCells, notes);
      ingestCells = [...ingestCells, ...pg.ingest];
      pgReads = pg.reads;
    }
    if (args.profile) profiles = await profileRuns(args, workDir);
  } finally {
    cleanup();
  }
  m.loadAfter = os.loadavg();
  if (m.loadBefore[0] > 1 || m.loadAfter[0] > 1) notes.push('other work was running on this machine during the run (load average above 1); treat the figures as lower bounds.');
  notes.push(`whole run took ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  const report = formatReport({ machine: m, ingest: ingestCells, reads, pgReads, prunes, pruneMethod: PRUNE_METHOD, profiles, notes });
  console.log('\n' + report);
  if (push) console.log('\n' + formatPush(push));
  if (profiles.length) console.log('\n' + profiles.join('\n\n'));
  if (args.json) writeFileSync(args.json, JSON.stringify({ machine: m, ingest: ingestCells, reads, pgReads, prunes, push, notes }, null, 2));
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
