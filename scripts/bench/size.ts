// Where the stored bytes go (issue 16: stored bytes ≤ raw bytes received):
// seeds N bench messages (seed.ts, as the read bench does), then prints the
// bytes of every table and index from SQLite's dbstat virtual table, next to
// the raw bytes received.
//   node --import tsx scripts/bench/size.ts [N] [--keep=DIR]
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { Seeder } from './seed.js';

const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 10_000);
const keep = process.argv.find((a) => a.startsWith('--keep='))?.slice(7);
const dir = keep ?? mkdtempSync(path.join(os.tmpdir(), 'mailroom-size-'));
try {
  const store = openStore(dir, { cacheKiB: 200_000 });
  const seeder = new Seeder(store);
  const ms = seeder.add(n);
  store.close();
  const file = path.join(dir, 'mailroom.db');
  const db = new Database(file, { readonly: true });
  const rows = db
    .prepare(`SELECT name, count(*) AS pages, sum(pgsize) AS bytes, sum(payload) AS payload, sum(unused) AS unused FROM dbstat GROUP BY name ORDER BY bytes DESC`)
    .all() as Array<{ name: string; pages: number; bytes: number; payload: number; unused: number }>;
  const raw = db.prepare('SELECT sum(size) AS size, sum(length(raw)) AS stored, sum(length(body_z)) AS bodyZ FROM contents').get() as { size: number; stored: number; bodyZ: number };
  const blobs = db.prepare('SELECT count(*) AS n, coalesce(sum(length(data)), 0) AS bytes FROM blobs').get() as { n: number; bytes: number };
  const fileBytes = readdirSync(dir).reduce((s, f) => s + statSync(path.join(dir, f)).size, 0);
  db.close();
  const mb = (b: number) => (b / 1e6).toFixed(2);
  console.log(`${n} messages seeded in ${(ms / 1000).toFixed(1)} s; raw bytes received ${mb(raw.size)} MB; data dir ${mb(fileBytes)} MB = ${(fileBytes / raw.size).toFixed(3)} × raw`);
  console.log(`contents.raw as stored ${mb(raw.stored)} MB (${((raw.stored / raw.size) * 100).toFixed(1)}% of raw); body_z ${mb(raw.bodyZ ?? 0)} MB; blobs ${blobs.n} rows, ${mb(blobs.bytes)} MB of data`);
  console.log('| b-tree | pages | MB | payload MB | unused MB | share |');
  console.log('|:--|--:|--:|--:|--:|--:|');
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  // Tables of a few pages (accounts, billing, ...) are summed on one line.
  const small = rows.filter((r) => r.pages <= 2);
  for (const r of rows.filter((r) => r.pages > 2)) console.log(`| ${r.name} | ${r.pages} | ${mb(r.bytes)} | ${mb(r.payload)} | ${mb(r.unused)} | ${((r.bytes / total) * 100).toFixed(1)}% |`);
  console.log(`| ${small.length} b-trees of ≤ 2 pages | ${small.reduce((s, r) => s + r.pages, 0)} | ${mb(small.reduce((s, r) => s + r.bytes, 0))} | | | |`);
  console.log(`| total | ${rows.reduce((s, r) => s + r.pages, 0)} | ${mb(total)} | | | |`);
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
