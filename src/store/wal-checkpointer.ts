// WAL checkpoints off the writer thread while a prune runs (issue 16).
//
// A prune rewrites tens of thousands of pages (secure_delete zeroes every
// freed one), so the WAL crosses SQLite's automatic checkpoint mark (1,000
// pages, 16 MB at our 16 KiB pages) again and again. The commit that crosses
// it runs the checkpoint itself, on the writer thread: it copies every frame
// into the file and fsyncs it, tens of milliseconds, and every SMTP commit
// queued meanwhile waits (the worst dot→250 during a prune).
//
// A checkpoint does not need the write lock: in WAL mode another connection
// can copy frames into the file while the writer keeps appending. So during a
// prune the writer's own automatic checkpoint is off and a small thread with
// a connection of its own runs PASSIVE checkpoints every few milliseconds
// (PASSIVE never waits for readers or writers: it copies what it can). The
// writer then only ever appends to the WAL, and restarts it from the start
// whenever the checkpointer has caught up. Durability is SQLite's own: the
// checkpointer syncs the WAL before and the file after copying (synchronous
// FULL), and nothing a commit wrote is dropped until it is in the file.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { DB } from './db.js';

/** How often the checkpointer thread folds the WAL into the file. */
export const CHECKPOINT_EVERY_MS = 10;
/** SQLite's default automatic checkpoint mark, in pages, restored afterwards. */
const AUTOCHECKPOINT_PAGES = 1000;

// Plain CommonJS, evaluated: no TypeScript loader to boot in the thread (under
// tsx that takes longer than a small prune), and the driver is passed by path.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('synchronous = FULL');
if (Number(db.pragma('synchronous', { simple: true })) !== 2) throw new Error('checkpointer: synchronous is not FULL');
let timer = null;
let checkpoints = 0;
const tick = () => {
  db.pragma('wal_checkpoint(PASSIVE)');
  checkpoints++;
  timer = setTimeout(tick, workerData.everyMs);
};
parentPort.on('message', () => {
  clearTimeout(timer);
  db.close();
  parentPort.postMessage({ checkpoints });
  parentPort.close();
});
tick();
`;

export interface OffloadedCheckpoints {
  /** Stops the thread, then gives the writer its automatic checkpoint back; how many checkpoints the thread ran. */
  stop(): Promise<number>;
}

/**
 * Turns `db`'s automatic checkpoint off and checkpoints `file` from another
 * thread until stop(). A thread that fails (it cannot open the file) leaves
 * the automatic checkpoint on, as if never started.
 */
export function offloadCheckpoints(db: DB, file: string, everyMs = CHECKPOINT_EVERY_MS): OffloadedCheckpoints {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(THREAD, { eval: true, workerData: { driver, file, everyMs } });
  // Never what keeps a process alive: a prune that threw is stopped in its finally anyway.
  worker.unref();
  db.pragma('wal_autocheckpoint = 0');
  const restore = () => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  };
  let ran = 0;
  const exited = new Promise<void>((resolve) => {
    worker.on('message', (m: unknown) => {
      if (typeof m === 'object' && m && 'checkpoints' in m) ran = (m as { checkpoints: number }).checkpoints;
    });
    worker.on('error', () => restore());
    worker.on('exit', () => {
      restore();
      resolve();
    });
  });
  let stopping: Promise<number> | null = null;
  return {
    stop() {
      stopping ??= (async () => {
        // Someone awaits this exit now: keep the process up until it came.
        worker.ref();
        worker.postMessage('stop');
        await exited;
        return ran;
      })();
      return stopping;
    },
  };
}
