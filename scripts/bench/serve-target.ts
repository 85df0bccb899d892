// Child process entry: starts one receiver (adapters.ts) and answers the
// bench over the IPC channel, so the server under test has an event loop and
// a CPU budget of its own, apart from the load client's.
//   node --import tsx scripts/bench/serve-target.ts <kind> '<json TargetOptions>'
// Messages in: { id, cmd: 'stats' | 'idle' | 'prune' | 'ready-times' | 'stop', ... }.
// Messages out: { type: 'ready', smtpPort, httpPort } once, then { id, ok, ... }.
import { startTarget, TARGET_KINDS, type TargetKind, type TargetOptions } from './adapters.js';
import { pruneInServer } from './prune.js';
import { epochMs } from './stats.js';

interface Request {
  id: number;
  cmd: 'stats' | 'idle' | 'prune' | 'ready-times' | 'stop';
  ids?: string[];
  fraction?: number;
  batch?: number;
  timeoutMs?: number;
}

async function main(): Promise<void> {
  const kind = process.argv[2] as TargetKind;
  if (!TARGET_KINDS.includes(kind) && kind !== 'mailroom-pg' && kind !== 'mailroom-pg-node') throw new Error(`unknown target ${kind}`);
  const opts = JSON.parse(process.argv[3] ?? '{}') as TargetOptions;
  const target = await startTarget(kind, opts);
  const send = (m: unknown) => process.send!(m);
  // Mailroom: when each message copy became ready here (issue 10), for the
  // bench's 250→ready; entries leave the map when the bench asks for them.
  const readyAt = new Map<string, number>();
  target.ready?.subscribe((n) => {
    const at = epochMs();
    for (const c of n.copies) readyAt.set(c.id, at);
  });
  // Exit with the parent: a bench that dies must not leave servers behind.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (raw) => {
    const req = raw as Request;
    try {
      switch (req.cmd) {
        case 'stats':
          send({ id: req.id, ok: true, cpu: process.cpuUsage(), memory: process.memoryUsage(), backlog: target.backlog(), info: target.info() });
          break;
        case 'idle': {
          const t0 = performance.now();
          await target.idle();
          send({ id: req.id, ok: true, ms: performance.now() - t0 });
          break;
        }
        case 'prune': {
          if (!target.mailroom) throw new Error('prune needs the mailroom target');
          const result = await pruneInServer(target.mailroom, req.fraction ?? 0.9, { batch: req.batch, timeoutMs: req.timeoutMs });
          send({ id: req.id, ok: true, ...result });
          break;
        }
        case 'ready-times': {
          const times = (req.ids ?? []).map((id) => readyAt.get(id) ?? null);
          readyAt.clear();
          send({ id: req.id, ok: true, times });
          break;
        }
        case 'stop':
          await target.stop();
          send({ id: req.id, ok: true });
          // process.exit (not a signal) so --cpu-prof writes its profile.
          setImmediate(() => process.exit(0));
          break;
      }
    } catch (err) {
      send({ id: req.id, ok: false, error: (err as Error).stack ?? String(err) });
    }
  });
  send({ type: 'ready', smtpPort: target.smtpPort, httpPort: target.httpPort });
}

main().catch((err) => {
  process.stderr.write(`serve-target: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
