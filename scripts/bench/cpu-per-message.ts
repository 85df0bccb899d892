// Server CPU time per message (issue 16): how much CPU Mailroom spends to
// take one message and make it readable, measured below capacity so the
// figure does not depend on saturation or on other load on the machine (a
// busy machine stretches wall time, not the CPU a message needs).
//   node --import tsx scripts/bench/cpu-per-message.ts [--sizes=5KB,200KB] [--n=5000] [--rate=150] [--senders=16] [--cpu-prof=DIR]
// --cpu-prof=DIR writes V8 CPU profiles of the target (main thread and each
// worker, warm-up included) to DIR; the profiler's own cost inflates the figures of that run.
// For each size: one Mailroom target child (serve-target.ts), a warm-up of
// messages (JIT, worker start), then N messages offered at a fixed pace over
// persistent connections; once every 250 arrived and the parse queue is idle,
// the server process's user + system time (/proc/PID/stat) over that span,
// divided by N. Per thread too (/proc/PID/task/TID/stat): Node names no
// thread, so they are told apart by what they do: the main thread is the
// process id; the writer is the busiest of the others there at the start; the
// parse workers, the busiest of those started with the first messages.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dataPayload, SmtpConnection } from './load-client.js';
import { benchMessages, type BenchSize } from './messages.js';
import { recipientPicker } from './ingest.js';
import { TargetProcess } from './targets.js';
import { parsePoolSize } from '../../src/jobs/parse-pool.js';
import { dirBytes } from './dir-bytes.js';
import Database from 'better-sqlite3';

const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const SIZES = arg('sizes', '5KB,200KB').split(',') as BenchSize[];
const SENDERS = Number(arg('senders', '16'));
/** Defaults per size: well below what this 2-core machine processes (5 KB ~200-240/s, 200 KB far less). */
const DEFAULTS: Record<string, { n: number; rate: number }> = { '5KB': { n: 5000, rate: 150 }, '200KB': { n: 1000, rate: 30 } };
const WARMUP = Number(arg('warmup', '400'));
const CPU_PROF = arg('cpu-prof', '');
const TICK_US = 1e6 / 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

type Ticks = Map<number, number>;

/** CPU time (user + system, µs) of the process and of each of its threads. */
function cpuOf(pid: number): { total: number; threads: Ticks } {
  const parse = (stat: string) => {
    // Fields after the command name (which may hold spaces), from field 3 on.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_US; // utime, stime
  };
  const threads: Ticks = new Map();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(Number(t), parse(readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')));
    } catch {
      // ended meanwhile
    }
  }
  return { total: parse(readFileSync(`/proc/${pid}/stat`, 'utf8')), threads };
}

/** Sends n messages at `rate` per second in all over `senders` persistent connections; resolves once every reply came. */
async function paced(port: number, payloads: Buffer[], n: number, rate: number, senders: number): Promise<{ ok: number; errors: number }> {
  const rcpt = recipientPicker();
  let next = 0;
  let ok = 0;
  let errors = 0;
  let nextSlot = performance.now();
  const sender = async () => {
    const { conn } = await SmtpConnection.open('127.0.0.1', port);
    await conn.ehlo('load.example');
    while (next < n) {
      const i = next++;
      const slot = nextSlot;
      nextSlot += 1000 / rate;
      const wait = slot - performance.now();
      if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
      const { reply } = await conn.send('bench@load.example', rcpt(), payloads[i % payloads.length], conn.extensions.has('PIPELINING'));
      if (reply.code === 250) ok++;
      else errors++;
    }
    await conn.quit();
  };
  await Promise.all(Array.from({ length: senders }, sender));
  return { ok, errors };
}

/** Read and write system calls made so far by one thread (/proc/PID/task/TID/io: syscr, syscw); null where the kernel does not say. */
function syscallsOf(pid: number, tid: number): { reads: number; writes: number } | null {
  try {
    const io = readFileSync(`/proc/${pid}/task/${tid}/io`, 'utf8');
    const field = (k: string) => Number(io.match(new RegExp(`^${k}: (\\d+)`, 'm'))?.[1] ?? NaN);
    return { reads: field('syscr'), writes: field('syscw') };
  } catch {
    return null;
  }
}

const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function measure(size: BenchSize): Promise<void> {
  const { n, rate } = { n: Number(arg('n', String(DEFAULTS[size]?.n ?? 2000))), rate: Number(arg('rate', String(DEFAULTS[size]?.rate ?? 50))) };
  const work = mkdtempSync(path.join(os.tmpdir(), 'mailroom-cpu-'));
  const payloads = benchMessages(size, 32).map(dataPayload);
  const rawBytes = benchMessages(size, 32).reduce((s, m) => s + m.length, 0) / 32;
  const target = await TargetProcess.start('mailroom', { dataDir: work }, { env: { TMPDIR: work }, ...(CPU_PROF ? { cpuProfDir: path.resolve(CPU_PROF) } : {}) });
  try {
    const pid = target.pid;
    // Threads there before the first message: main, V8's, the writer (libuv's pool perhaps); the parse workers start with the first job.
    const atStart = new Set(cpuOf(pid).threads.keys());
    // Warm-up: JIT, the parse workers, SQLite's cache; then the server at rest.
    await paced(target.smtpPort, payloads, WARMUP, rate, SENDERS);
    await target.idle();
    await new Promise((r) => setTimeout(r, 1000));
    const rest0 = cpuOf(pid).total;
    await new Promise((r) => setTimeout(r, 2000));
    const restUsPerSec = (cpuOf(pid).total - rest0) / 2;
    const bytes0 = dirBytes(work);

    const load0 = loadavg();
    const c0 = cpuOf(pid);
    const io0 = syscallsOf(pid, pid);
    const t0 = performance.now();
    const sent = await paced(target.smtpPort, payloads, n, rate, SENDERS);
    const acked = performance.now();
    await target.idle();
    const t1 = performance.now();
    const c1 = cpuOf(pid);
    const io1 = syscallsOf(pid, pid);
    // The main thread's system calls: socket reads and writes mostly (a reply write is one each unless coalesced).
    const mainIo = io0 && io1 ? `, main-thread syscalls ${((io1.writes - io0.writes) / sent.ok).toFixed(2)} writes + ${((io1.reads - io0.reads) / sent.ok).toFixed(2)} reads per msg` : '';
    const wallS = (t1 - t0) / 1000;
    // Rest CPU (timers, stats) over the span is left in: a few µs/s, printed so it can be judged.
    const per = (us: number) => us / sent.ok;
    const threads = [...c1.threads].map(([tid, us]) => ({ tid, us: us - (c0.threads.get(tid) ?? 0) })).sort((a, b) => a.tid - b.tid);
    const total = c1.total - c0.total;
    // The writer is the busiest thread but main of those there at the start,
    // the parse workers the busiest of those started since; the rest are V8's
    // platform threads (concurrent GC, compilers) and libuv's pool (zlib, fs).
    const byCpu = (ts: typeof threads) => [...ts].sort((a, b) => b.us - a.us);
    const writer = byCpu(threads.filter((t) => t.tid !== pid && atStart.has(t.tid)))[0];
    const busy = [writer, ...byCpu(threads.filter((t) => !atStart.has(t.tid))).slice(0, parsePoolSize())].filter((t) => t !== undefined);
    const label = new Map<number, string>([[pid, 'main']]);
    busy.forEach((t, i) => label.set(t.tid, i === 0 ? 'writer' : `parse-${i}`));
    if (process.env.CPU_THREADS) for (const t of threads) console.log(`  tid ${t.tid} ${label.get(t.tid) ?? ''} ${per(t.us).toFixed(0)} µs/msg`);
    const byLabel = (l: string) => threads.filter((t) => label.get(t.tid) === l).reduce((s, t) => s + t.us, 0);
    const parse = threads.filter((t) => label.get(t.tid)?.startsWith('parse')).reduce((s, t) => s + t.us, 0);
    const other = total - byLabel('main') - byLabel('writer') - parse;
    // What the stored raw column holds once every message is processed (the parse worker's form).
    const db = new Database(path.join(work, 'mailroom.db'), { readonly: true });
    const st = db.prepare(`SELECT sum(size) AS size, sum(length(raw)) AS raw, sum(length(body_z)) AS bodyZ, sum(raw_encoding = 'deflate') AS deflated, count(*) AS n FROM contents`).get() as Record<string, number>;
    // Pages in use (the WAL file's size and free pages left out: they depend
    // on checkpoint timing), and how full the contents table's pages are: a
    // row that shrinks after its insert leaves room later rows do not reuse.
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const inUse = (Number(db.pragma('page_count', { simple: true })) - Number(db.pragma('freelist_count', { simple: true }))) * pageSize;
    const ct = db.prepare(`SELECT sum(pgsize) AS bytes, sum(unused) AS unused FROM dbstat WHERE name = 'contents'`).get() as Record<string, number>;
    db.close();
    console.log(
      `${size}: ${sent.ok} msgs (${sent.errors} refused) at ${rate}/s over ${SENDERS} persistent; acked in ${((acked - t0) / 1000).toFixed(1)} s, ready after ${wallS.toFixed(1)} s; ` +
        `server CPU ${per(total).toFixed(0)} µs/msg (main ${per(byLabel('main')).toFixed(0)}, writer ${per(byLabel('writer')).toFixed(0)}, parse workers ${per(parse).toFixed(0)} [${busy.slice(1).map((t) => per(t.us).toFixed(0)).join(' + ')}], other threads ${per(other).toFixed(0)})${mainIo}; ` +
        `at rest ${(restUsPerSec / 1000).toFixed(1)} ms/s; data dir +${((dirBytes(work) - bytes0) / (sent.ok * rawBytes)).toFixed(3)} × raw, pages in use ${(inUse / st.size).toFixed(3)} × raw (contents ${(ct.bytes / st.size).toFixed(3)} ×, ${((ct.unused / ct.bytes) * 100).toFixed(0)}% unused), raw column ${(st.raw / st.size).toFixed(4)} × raw (${st.deflated}/${st.n} deflated), body_z ${(st.bodyZ / st.size).toFixed(4)} × raw; load ${load0} → ${loadavg()}`,
    );
  } finally {
    await target.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

for (const size of SIZES) await measure(size);
