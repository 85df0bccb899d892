// The writer thread's CPU per message on its own (issue 16, run Q): what
// writer-thread.ts does for each message (insertReceived in urgent group
// commits before the 250, applyParse of the parse worker's answer in
// deferred ones), on this one thread, with the parse answers made
// beforehand, so nothing else competes for the figure. A busy machine
// changes cpu-per-message.ts's totals by more than the writer's share moves;
// this isolates it.
//   node --import tsx scripts/bench/writer-cpu.ts [N] [--root=WORKTREE] [--size=5KB] [--batch=16]
// --root: the source tree to measure (another worktree: base against a
// branch, with the same messages and this same driver).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchMessages, type BenchSize } from './messages.js';

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5000);
const root = process.argv.find((a) => a.startsWith('--root='))?.slice(7) ?? path.join(import.meta.dirname, '../..');
const size = (process.argv.find((a) => a.startsWith('--size='))?.slice(7) ?? '5KB') as BenchSize;
/** Messages per group commit (--batch=): 16 by default; 1 is a lone message, as at a low rate. */
const BATCH = Number(process.argv.find((a) => a.startsWith('--batch='))?.slice(8) ?? 16);

const { openStore } = await import(path.join(root, 'src/store/index.ts'));
const { parseMessage } = await import(path.join(root, 'src/mail/parse.ts'));
const { encodeBody, encodeRaw } = await import(path.join(root, 'src/store/body-codec.ts'));
// A tree whose insertReceived stores a small message at the kept level (run Q) gets no rawZ for it from the parse worker.
const storedFormFirst = readFileSync(path.join(root, 'src/jobs/parse-queue.ts'), 'utf8').includes('packRaw');

const raws = benchMessages(size, 32);
const answers = await Promise.all(
  raws.map(async (raw) => {
    const parsed = await parseMessage(raw);
    const packed = encodeRaw(raw, 6);
    const rawZ = packed.encoding === 'deflate' ? packed.data : undefined;
    return { parsed: { ...parsed, html: '', headers: [] }, bodyZ: encodeBody(parsed, raw), rawZ };
  }),
);

const dir = mkdtempSync(path.join(os.tmpdir(), 'mailroom-writer-cpu-'));
const store = openStore(dir);
try {
  const rcpt = (i: number) => ({ inbox: `user${i % 1000}@mailroom.test`, original: `user${i % 1000}@mailroom.test`, domain: 'mailroom.test' });
  const run = async (from: number, to: number) => {
    for (let i = from; i < to; i += BATCH) {
      const ids = await Promise.all(
        Array.from({ length: Math.min(BATCH, to - i) }, (_, k) => {
          const j = (i + k) % raws.length;
          const msg = { raw: raws[j]!, mailFrom: 'bench@load.example', recipients: [rcpt(i + k)], ip: '127.0.0.1', helo: 'load.example', tls: false, received: Date.now() };
          return store.committer.submit(() => store.messages.insertReceived(msg)) as Promise<{ contentId: number }>;
        }),
      );
      await Promise.all(
        ids.map((s, k) => {
          const a = answers[(i + k) % raws.length]!;
          return store.committer.submitDeferred(() => store.messages.applyParse(s.contentId, a.parsed, a.bodyZ, storedFormFirst && raws[(i + k) % raws.length]!.length <= 16 * 1024 ? undefined : a.rawZ));
        }),
      );
    }
  };
  await run(0, Math.min(500, N)); // warm-up: JIT, page cache
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run(0, N);
  const cpu = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  console.log(
    `${root}: ${N} × ${size}, batches of ${BATCH}: writer CPU ${((cpu.user + cpu.system) / N).toFixed(0)} µs/msg (user ${(cpu.user / N).toFixed(0)}, system ${(cpu.system / N).toFixed(0)}), wall ${((wall * 1000) / N).toFixed(0)} µs/msg; small raw stored at the kept level before the 250: ${storedFormFirst}; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
