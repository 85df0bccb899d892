// Server memory of the compiled build (issue 16: RSS < 250 MB with 1,000,000
// stored), without tsx in the process: starts dist/main.js (npm run build
// first) on a data directory that is already filled (scripts/bench/size.ts
// --keep=DIR), makes the reads a reader makes (inbox pages, message pages,
// API lists, searches) and prints VmRSS/VmHWM from /proc with the main
// thread's heap, external and ArrayBuffer bytes.
//   node scripts/bench/rss.mjs DIR [requests]
// Plain JavaScript on purpose: a TypeScript loader would add its own memory.
// RSS_IDLE_SECONDS=N adds a second figure after N idle seconds (idle workers
// exit, docs/performance.md run P); the first figure is always taken right
// after the reads.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

const root = path.join(import.meta.dirname, '../../dist');
const { configSchema } = await import(path.join(root, 'config.js'));
const { startMailroom } = await import(path.join(root, 'main.js'));
const { silentLogger } = await import(path.join(root, 'log.js'));

const dataDir = process.argv[2];
const requests = Number(process.argv[3] ?? 600);
if (!dataDir) throw new Error('usage: node scripts/bench/rss.mjs DIR [requests]');
const adminKey = 'k_rss_' + 'x'.repeat(40);
const mem = () => {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)[1]) * 1024;
  const u = process.memoryUsage();
  return { rss: kb('VmRSS'), peak: kb('VmHWM'), heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers };
};
const mb = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, `${(v / 2 ** 20).toFixed(1)} MB`]));

const before = mem();
const config = configSchema.parse({
  domains: ['mailroom.test'],
  smtp: { host: '127.0.0.1', port: 0, hostname: 'mx.mailroom.test' },
  http: { host: '127.0.0.1', port: 0 },
  storage: { dataDir },
  log: { level: 'silent' },
  auth: { adminKey },
  retention: { public: { maxAgeHours: 0, maxMessagesPerInbox: 0 } },
});
const m = await startMailroom(config, silentLogger());
const started = mem();
const peek = new Database(path.join(dataDir, 'mailroom.db'), { readonly: true });
const sample = peek.prepare('SELECT id, inbox FROM messages ORDER BY random() LIMIT ?').all(requests);
peek.close();
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = (p) =>
  new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: m.httpAddress.port, path: p, agent, headers: { 'Mailsac-Key': adminKey } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
const e = encodeURIComponent;
const words = ['invoice', 'account', 'meeting', 'update'];
for (const [i, s] of sample.entries()) {
  await get(`/inbox/${e(s.inbox)}/${e(s.id)}`);
  await get(`/inbox/${e(s.inbox)}`);
  await get(`/api/addresses/${e(s.inbox)}/messages`);
  if (i % 10 === 0) await get(`/api/inbox-search?query=${words[i % words.length]}`);
}
const after = mem();
agent.destroy();
const report = { requests: sample.length, before: mb(before), started: mb(started), afterReads: mb(after) };
const idleSeconds = Number(process.env.RSS_IDLE_SECONDS ?? 0);
if (idleSeconds > 0) {
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  report[`after${idleSeconds}sIdle`] = mb(mem());
}
console.log(JSON.stringify(report, null, 1));
await m.stop();
process.exit(0);
