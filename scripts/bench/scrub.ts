// Scrub bench (issue 13 item 8): what the scrub after a delete costs on a
// store of N messages (default 10,000), and what it does to SMTP.
//   A. On a direct connection: after deleting 200 messages, the time of each
//      thing a scrub could run: WAL checkpoint(TRUNCATE), a bounded FTS
//      'merge' (64 pages), a full FTS 'optimize', and scrubOnce as shipped.
//   B. In a running Mailroom with 4 senders delivering back to back: final
//      dot → 250 over 10 s windows: no deletes; a scheduled scrub every 2.5 s
//      (scrubSoon); a full FTS 'optimize' + checkpoint every 2.5 s (what the
//      data-rights scrub did before); a purge of a mid-sized inbox every
//      2.5 s with the scheduled scrub after it.
// Usage: node --import tsx scripts/bench/scrub.ts [messages]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/index.js';
import { openDatabase } from '../../src/store/db.js';
import { checkpointTruncate, scrubOnce } from '../../src/store/scrub.js';
import { configSchema } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { startMailroom } from '../../src/main.js';
import { Seeder } from './seed.js';
import { benchMessages } from './messages.js';
import { dataPayload, runLoad, type LoadResult } from './load-client.js';

const N = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(path.join(tmpdir(), 'mailroom-scrub-bench-'));
const ms = (t0: number) => (performance.now() - t0).toFixed(1);

try {
  // ---- seed
  let store = openStore(dir);
  const seeder = new Seeder(store, { inboxes: 500 });
  const t0 = performance.now();
  seeder.add(N);
  store.close();
  console.log(`seeded ${N} messages in ${ms(t0)} ms`);

  // ---- A. parts of a scrub, each after its own delete of 200 messages
  store = openStore(dir);
  // The Store keeps its handle to itself; the bench works on a connection of its own.
  const raw = openDatabase(store.file);
  const del200 = () => {
    const ids = raw.prepare('SELECT id FROM messages ORDER BY random() LIMIT 200').pluck().all() as string[];
    store.bulk.deleteIds(ids);
  };
  const fts = (cmd: string, rank?: number) =>
    rank === undefined
      ? raw.prepare(`INSERT INTO message_fts (message_fts) VALUES (?)`).run(cmd)
      : raw.prepare(`INSERT INTO message_fts (message_fts, rank) VALUES (?, ?)`).run(cmd, rank);
  const segments = () => raw.prepare(`SELECT count(*) FROM message_fts_idx WHERE pgno = 1 OR 1`).pluck().get();
  for (let round = 0; round < 3; round++) {
    del200();
    let t = performance.now();
    checkpointTruncate(raw);
    const ckpt = ms(t);
    del200();
    t = performance.now();
    fts('merge', 64);
    const merge = ms(t);
    del200();
    t = performance.now();
    fts('optimize');
    const optimize = ms(t);
    del200();
    t = performance.now();
    await scrubOnce(raw);
    const whole = ms(t);
    console.log(`A round ${round + 1}: checkpoint(TRUNCATE) ${ckpt} ms | merge 64 pages ${merge} ms | optimize ${optimize} ms | scheduled scrub (scrubOnce) ${whole} ms | idx rows ${segments()}`);
  }
  raw.close();
  store.close();

  // ---- B. SMTP during scrubs
  const config = configSchema.parse({
    domains: ['mailroom.test'],
    smtp: { host: '127.0.0.1', port: 0, hostname: 'mx.mailroom.test' },
    http: { host: '127.0.0.1', port: 0 },
    storage: { dataDir: dir },
    log: { level: 'silent' },
    retention: { schedule: 'off' },
  });
  const m = await startMailroom(config, silentLogger());
  const mdb = openDatabase(m.store.file);
  const payloads = benchMessages('5KB', 50).map(dataPayload);
  let r = 0;
  const load = (during?: () => Promise<unknown>) =>
    runLoad({ port: m.smtpAddress.port, senders: 4, mode: 'persistent', payloads, recipient: () => `load${r++ % 50}@mailroom.test`, warmupMs: 1000, durationMs: 10_000, during });
  // A mid-sized inbox (the 20th busiest): a purge of tens to hundreds of messages.
  const midInbox = () => mdb.prepare('SELECT inbox FROM messages GROUP BY inbox ORDER BY count(*) DESC LIMIT 1 OFFSET 20').pluck().get() as string;
  const every = (what: () => Promise<unknown>) => async () => {
    for (let i = 0; i < 4; i++) {
      await what();
      await new Promise((res) => setTimeout(res, 2500));
    }
  };
  let purged = 0;
  const line = (name: string, x: LoadResult) =>
    console.log(`B ${name}: ${x.messages} msgs, ${x.perSecond.toFixed(0)}/s, dot->250 p50 ${x.latency.p50.toFixed(1)} p99 ${x.latency.p99.toFixed(1)} max ${x.latency.max.toFixed(1)} ms, errors ${x.errors}`);
  line('no deletes', await load());
  line('scheduled scrub every 2.5 s', await load(every(async () => m.writer.scrubSoon())));
  line('optimize + checkpoint every 2.5 s', await load(every(async () => {
    mdb.prepare(`INSERT INTO message_fts (message_fts) VALUES ('optimize')`).run();
    await m.writer.scrub();
  })));
  line('purge an inbox every 2.5 s + scheduled scrub', await load(every(async () => (purged += await m.writer.deleteMessages({ kind: 'inbox', inbox: midInbox() })))));
  console.log(`(purged ${purged} messages in the last window)`);
  mdb.close();
  await m.stop();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
