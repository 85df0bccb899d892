// What the SMTP receiver's per-message lookups cost the main thread (issue 16,
// store/lookup-cache.ts): the three a 5 KB message to one recipient makes
// (catch-all of its domain, the domain's and the address's forwards), asked
// of the store's connection while another connection commits beside it, as
// the writer thread does under load, then through the cache.
//   node --import tsx scripts/bench/lookup-cost.ts [rounds=3000] [--no-commits]
// Prints the process's CPU time (getrusage: every thread, but the other
// connection's thread waits while the lookups run) per message's lookups.
import { rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { openStore } from '../../src/store/index.js';
import { createRequire } from 'node:module';
import { databaseFile } from '../../src/store/db.js';
import { tempDir } from '../../test/helpers/temp.js';

const rounds = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 3000);
/** --no-commits: nothing written beside the lookups (what they cost on a connection whose cache stays valid). */
const commits = !process.argv.includes('--no-commits');
const dir = tempDir('mailroom-lookup-');
const store = openStore(dir);
const owner = store.users.createWithoutPassword({ username: 'owner' });
store.domains.add('own.example', owner.id, 't');
store.domains.markVerified('own.example');
for (let i = 0; i < 200; i++) store.addresses.reserve(`owned${i}@mailroom.test`, owner.id);

// Another connection committing one small row at a time, on demand (the writer thread's group commits).
const writer = new Worker(
  `const { workerData, parentPort } = require('node:worker_threads');
   const Database = require(workerData.module);
   const db = new Database(workerData.file);
   db.pragma('journal_mode = WAL');
   db.exec('CREATE TABLE IF NOT EXISTS bench_commits (n INTEGER)');
   const ins = db.prepare('INSERT INTO bench_commits VALUES (?)');
   let n = 0;
   parentPort.on('message', () => { ins.run(n++); parentPort.postMessage(n); });`,
  { eval: true, workerData: { file: databaseFile(dir), module: createRequire(import.meta.url).resolve('better-sqlite3') } },
);
const commit = () => new Promise<void>((resolve) => {
  writer.once('message', () => resolve());
  writer.postMessage(0);
});

async function measure(label: string, lookups: typeof store.data | typeof store.lookups): Promise<void> {
  let busy = 0;
  for (let i = 0; i < rounds; i++) {
    if (commits) await commit(); // a commit by the other connection between two messages
    else await new Promise((r) => setImmediate(r));
    const inbox = `user${i % 1000}@mailroom.test`;
    const t0 = process.cpuUsage();
    await lookups.domains.catchAllInbox('mailroom.test');
    await lookups.domains.pushSettings('mailroom.test');
    await lookups.addresses.get(inbox);
    const d = process.cpuUsage(t0);
    busy += d.user + d.system;
  }
  console.log(`${label}: ${(busy / rounds).toFixed(1)} µs of CPU per message's three lookups (${rounds} messages, ${commits ? 'one commit by another connection before each' : 'no commits beside'})`);
}

await measure('store (main)', store.data);
await measure('cached', store.lookups);
await measure('store (main)', store.data);
await measure('cached', store.lookups);
await writer.terminate();
store.close();
rmSync(dir, { recursive: true, force: true });
