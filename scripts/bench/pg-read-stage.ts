// The reads part of the PostgreSQL bench (issue 14), at N stored: seeds a
// fresh PostgreSQL database (pg-seed.ts) and a SQLite store with the same
// mail (the same Seeder and seed), then on each engine in turn
//   1. its MessageReader in the bench process (pg-read.ts: the store's share
//      of a page), and
//   2. a whole node serving that store, in a child process of its own, over
//      HTTP (read.ts: the SQLite read table's pages and API calls, one request
//      at a time over keep-alive): startPostgresNode on the seeded database,
//      startMailroom on the SQLite store,
// and the sizes of both stores. The database is dropped at the end.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { PgMessageReader } from '../../src/store/pg/message-reader.js';
import { sqliteMessageReader } from '../../src/store/sqlite-message-reader.js';
import { freshBenchDatabase } from './pg-database.js';
import { pgSizes, runReaderOps, sampleMessages, type NodeReads, type PgReadSample, type PgReadStage } from './pg-read.js';
import { seedPostgres } from './pg-seed.js';
import { describeEndpoint, runReadBench } from './read.js';
import { Seeder } from './seed.js';
import { rng, zipf } from './stats.js';
import { fmtCount } from './table.js';
import { TargetProcess } from './targets.js';
import type { TargetKind, TargetOptions } from './adapters.js';
import { dirBytes } from './dir-bytes.js';

export interface PgReadPlan {
  stored: number;
  /** Calls (and HTTP requests) per operation, and the time after which a slow one stops (at 20 calls or more). */
  requests: number;
  maxMsPerOp: number;
  adminKey: string;
  workDir: string;
  log: (s: string) => void;
  /** The server to create the bench database on (default MAILROOM_BENCH_POSTGRES_URL, else the local one). */
  serverUrl?: string;
}

/** The stage's figures; { unavailable } (the one line to print) when no PostgreSQL answers. */
export async function runPgReadStage(plan: PgReadPlan): Promise<PgReadStage | { unavailable: string }> {
  const { stored: size, log } = plan;
  const db = await freshBenchDatabase(plan.serverUrl);
  if ('unavailable' in db) return db;
  try {
    log(`PostgreSQL: seeding ${fmtCount(size)} messages into ${db.name} …`);
    const seeded = await seedPostgres(db.sql, size, log);
    log(`  done in ${(seeded.ms / 1000).toFixed(1)} s`);
    const sizes = await pgSizes(db.sql, seeded.rawBytes);
    // The SQLite engine on the same mail (the same Seeder and seed): its size, and the same reads.
    const dir = path.join(plan.workDir, 'pg-compare-sqlite');
    mkdirSync(dir, { recursive: true });
    log(`SQLite: seeding the same ${fmtCount(size)} messages …`);
    const seedStore = openStore(dir, { cacheKiB: 1_000_000 });
    new Seeder(seedStore).add(size);
    const sqliteFile = seedStore.file;
    seedStore.close();
    const sqliteBytes = dirBytes(dir);
    const sqliteMessages: Array<{ id: string; inbox: string }> = [];
    {
      const peek = new Database(sqliteFile, { readonly: true });
      const maxSeq = peek.prepare('SELECT max(seq) FROM messages').pluck().get() as number;
      const bySeq = peek.prepare('SELECT id, inbox FROM messages WHERE seq >= ? ORDER BY seq LIMIT 1');
      const r = rng(99);
      for (let k = 0; k < 500; k++) sqliteMessages.push(bySeq.get(1 + Math.floor(r() * maxSeq)) as { id: string; inbox: string });
      peek.close();
    }
    const pgMessages = await sampleMessages(db.sql, rng(99));
    // A fresh sample per run: every run draws the same inboxes in the same order.
    const sample = (msgs: Array<{ id: string; inbox: string }>): PgReadSample => {
      const random = rng(99);
      const pickInbox = zipf(seeded.seeder.inboxes, 1.0, random);
      let mi = 0;
      return { inbox: () => `user${pickInbox()}@${seeded.seeder.domain}`, message: () => msgs[mi++ % msgs.length], queries: seeded.seeder.searchQueries() };
    };
    const budget = { requests: plan.requests, maxMsPerOp: plan.maxMsPerOp };
    const logOps = (ops: PgReadStage['ops']) => {
      for (const o of ops) log(`  ${o.op}: ${o.latency ? `p50 ${o.latency.p50.toFixed(2)} ms, p99 ${o.latency.p99.toFixed(2)} ms (${o.latency.count})` : 'n/a'}`);
    };

    log(`PostgreSQL reads (PgMessageReader) at ${fmtCount(size)} stored …`);
    const ops = await runReaderOps(new PgMessageReader(db.sql), sample(pgMessages), budget);
    logOps(ops);
    log(`SQLite reads (sqliteMessageReader) at ${fmtCount(size)} stored …`);
    const readStore = openStore(dir);
    let sqliteOps: PgReadStage['sqliteOps'];
    try {
      sqliteOps = await runReaderOps(sqliteMessageReader(readStore), sample(sqliteMessages), budget);
    } finally {
      readStore.close();
    }
    logOps(sqliteOps);

    log(`PostgreSQL node (startPostgresNode), HTTP reads at ${fmtCount(size)} stored …`);
    const nodeDir = path.join(plan.workDir, 'pg-read-node');
    mkdirSync(nodeDir, { recursive: true });
    const http = await readOverHttp('mailroom-pg-node', { dataDir: nodeDir, postgresUrl: db.url, adminKey: plan.adminKey }, sample(pgMessages), plan);
    log(`SQLite node (startMailroom) on the same mail, HTTP reads …`);
    const sqliteHttp = await readOverHttp('mailroom', { dataDir: dir, adminKey: plan.adminKey }, sample(sqliteMessages), plan);

    log(`  pg_database_size ${sizes.database} bytes (${(sizes.database / sizes.messages).toFixed(0)} per message); ${JSON.stringify(sizes.tables)}; SQLite ${sqliteBytes}`);
    return { stored: size, seedMs: seeded.ms, sizes, ops, sqliteOps, sqliteBytes, http, sqliteHttp };
  } finally {
    await db.drop();
  }
}

/** Starts one node on a seeded store, times read.ts's requests against it, stops it; a node that fails is reported, not thrown. */
async function readOverHttp(kind: TargetKind, opts: TargetOptions, sample: PgReadSample, plan: PgReadPlan): Promise<NodeReads> {
  let target: TargetProcess | null = null;
  try {
    target = await TargetProcess.start(kind, opts);
    const endpoints = await runReadBench(target, sample, { requests: plan.requests, adminKey: plan.adminKey, maxMsPerEndpoint: plan.maxMsPerOp });
    const mem = target.memory();
    for (const e of endpoints) plan.log(`  ${describeEndpoint(e)}`);
    return { endpoints, rss: mem.rss, peakRss: mem.peak };
  } catch (err) {
    // The first line, and the child's last line on stderr when it exited (TargetProcess.start appends its stderr).
    const lines = (err as Error).message.split('\n').filter((l) => l.trim());
    const error = lines.length > 1 ? `${lines[0]}: ${lines.find((l) => /^serve-target:/.test(l)) ?? lines[lines.length - 1]}` : lines[0];
    plan.log(`  failed: ${error}`);
    return { endpoints: [], rss: NaN, peakRss: NaN, error };
  } finally {
    await target?.stop();
  }
}
