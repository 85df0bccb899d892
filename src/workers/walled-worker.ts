// The worker side of WalledPool: one job at a time, answers capped in size.
// A worker module calls serveWalledJobs(handler) and nothing else at top level.
import { parentPort, workerData } from 'node:worker_threads';
import type { Transferable } from 'node:worker_threads';
import { outputBytes, type WallReason } from './walled-pool.js';

export interface WalledRequest {
  id: number;
  input: unknown;
}

export type WalledReply =
  | { id: number; ok: true; output: unknown }
  | { id: number; ok: false; reason: WallReason; message: string };

/** What a handler returns: the answer, and buffers in it that may be moved rather than copied. */
export interface WalledAnswer<O> {
  output: O;
  transfer?: Transferable[];
}

export function serveWalledJobs<I, O>(handler: (input: I) => Promise<WalledAnswer<O>> | WalledAnswer<O>): void {
  if (!parentPort) throw new Error('a walled worker must run in a worker thread');
  const port = parentPort;
  const maxOutputBytes = (workerData as { maxOutputBytes?: number } | null)?.maxOutputBytes ?? Number.POSITIVE_INFINITY;
  // One job at a time, in the order posted, also when the pool posts the next
  // one early (WalledPoolOptions.pipeline): the pool blames a dead worker's
  // death on the job it was answering, so no other job may have started.
  let turn: Promise<void> = Promise.resolve();
  port.on('message', (req: WalledRequest) => {
    turn = turn.then(() => serve(req));
  });
  const serve = async (req: WalledRequest): Promise<void> => {
    let reply: WalledReply;
    let transfer: Transferable[] = [];
    try {
      const answer = await handler(req.input as I);
      if (outputBytes(answer.output) > maxOutputBytes) reply = { id: req.id, ok: false, reason: 'output', message: '' };
      else {
        reply = { id: req.id, ok: true, output: answer.output };
        transfer = answer.transfer ?? [];
      }
    } catch (err) {
      // RangeError "Maximum call stack size exceeded" is a wall too (stackSizeMb).
      reply = { id: req.id, ok: false, reason: 'error', message: err instanceof Error ? err.name : 'error' };
    }
    try {
      port.postMessage(reply, transfer);
    } catch {
      // Buffers from Node's shared pool cannot be transferred; copy instead.
      port.postMessage(reply);
    }
  };
  // Modules loaded: the pool may start the clock on a job now.
  port.postMessage({ ready: true });
}
