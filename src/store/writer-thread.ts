// The writer thread: owns the connection that stores incoming mail, commits
// in groups, and runs the parse queue. With synchronous=FULL every commit
// waits for an fsync (3-4 ms on this machine's disk); on the main thread that
// wait froze every SMTP session at once. Here it blocks only this thread,
// and whatever arrives meanwhile joins the next commit (issue 7).
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from './index.js';
import { WRITER_CACHE_KIB } from './db.js';
import { deflatedBeforeAck } from './body-codec.js';
import { ParseQueue } from '../jobs/parse-queue.js';
import { createLogger } from '../log.js';
import { prune, type PruneResult } from '../jobs/retention.js';
import { ScrubScheduler } from './scrub.js';
import { restingPause } from './time-slice.js';
import type { IncomingMessage } from './messages.js';
import type { ToWriter, FromWriter, WriterOptions } from './writer-protocol.js';

if (!parentPort) throw new Error('writer-thread must run in a worker thread');
const port = parentPort;
const options = workerData as WriterOptions;
const log = createLogger(options.logLevel).child({ component: 'writer' });

/** Mail that arrived within this long counts as ingest going on (a prune rests between slices meanwhile). */
const INGEST_QUIET_MS = 250;

// Replies go out once per turn of the microtask queue, in one postMessage:
// a group commit settles all its writes at once, so the 'stored' replies of
// a batch (and the ready notices of a deferred one) leave together. Each
// postMessage costs both threads a fixed amount whatever it carries
// (serialising, waking the other thread's loop, a callback there), which on
// this 2-core VM was a tenth of the writer's CPU per message (issue 16, run S).
let outbox: FromWriter[] = [];
function send(msg: FromWriter): void {
  outbox.push(msg);
  if (outbox.length === 1) queueMicrotask(flushOutbox);
}
function flushOutbox(): void {
  if (!outbox.length) return;
  const messages = outbox;
  outbox = [];
  port.postMessage(messages.length === 1 ? messages[0] : { type: 'batch', messages });
}

try {
  const store = openStore(options.dataDir, { maxDatabaseBytes: options.maxDatabaseBytes, cacheKiB: WRITER_CACHE_KIB });
  const parseQueue = new ParseQueue(store.messages, store.committer, log.child({ component: 'parse' }), (contentId, ok, { received, copies, deliveries }) => {
    // Deleted before its processing committed: nobody to tell, but the backlog shrank.
    const backlog = parseQueue.length;
    const waiting = parseQueue.waiting;
    if (copies.length) send({ type: 'message-ready', notice: { contentId, state: ok ? 'ok' : 'failed', received, copies, deliveries }, backlog, waiting });
    else send({ type: 'backlog', backlog, waiting, madeReady: 1 });
  }, {
    // The queue the back-pressure bounds (smtp.maxPendingSeconds) shrank: say so
    // at once. Told only with the ready notices, which come a deferred batch
    // at a time (up to 20 ms apart), the main thread saw a full queue while
    // the workers had already emptied it, and held senders back meanwhile.
    onDispatch: () => send({ type: 'backlog', backlog: parseQueue.length, waiting: parseQueue.waiting, madeReady: 0 }),
  });
  const resumed = parseQueue.resume();
  if (resumed) log.info({ count: resumed }, 'parsing messages left unparsed by the last run');

  const stats = () => ({
    commits: store.committer.commits,
    maxBatch: store.committer.maxBatch,
    parseQueue: parseQueue.length,
    parsed: parseQueue.parsed,
    parseFailed: parseQueue.failed,
  });
  // The main thread reads these for /healthz without a round trip.
  const statsTimer = setInterval(() => send({ type: 'stats', stats: stats() }), 1000);

  // Every delete is followed by a scrub within a minute, here, on the
  // connection that commits SMTP mail (store/scrub.ts, issue 13 item 8).
  const scrubLog = log.child({ component: 'scrub' });
  const scrubber = new ScrubScheduler(() => store.scrubDeleted(), {
    onScrub: (r) => {
      if ('error' in r) scrubLog.warn({ err: { message: r.error.message } }, 'scrub failed; retrying');
      else if (!r.walTruncated) scrubLog.info({ ms: Math.round(r.ms) }, 'WAL held by a reader; scrub retried shortly');
      else scrubLog.debug({ ms: Math.round(r.ms) }, 'scrubbed after deletes');
    },
  });
  // Deletes the last run made just before it stopped (a crash, a deleteOne
  // while this thread restarted) are scrubbed now too.
  scrubber.deleted();
  const removedMail = (r: PruneResult) => r.publicAge + r.publicCount + r.privateAge + r.privateQuota + r.diskBudget > 0;

  // Retention batches run on this thread's loop, interleaved with group
  // commits: no second writer, so no lock for SMTP commits to wait on.
  let pruning: Promise<void> | null = null;
  let abortPrune = false;
  // When mail last arrived: a prune rests between its slices while it does (time-slice.ts restingPause).
  let lastIngest = -Infinity;
  const ingestBusy = () => performance.now() - lastIngest < INGEST_QUIET_MS;

  port.on('message', (msg: ToWriter) => {
    switch (msg.type) {
      case 'prune':
        abortPrune = false;
        pruning = prune(store, msg.policy, msg.now, { aborted: () => abortPrune, pause: restingPause(ingestBusy) }).then(
          (result) => {
            if (removedMail(result)) scrubber.deleted();
            send({ type: 'pruned', id: msg.id, result });
          },
          (err: Error) => {
            // Some batches may have committed before the failure.
            scrubber.deleted();
            send({ type: 'pruned', id: msg.id, result: null, error: err.message });
          },
        ).finally(() => {
          pruning = null;
        });
        break;
      case 'abort-prune':
        abortPrune = true;
        break;
      case 'delete-messages':
        store.bulk.run(msg.selection).then(
          (count) => {
            if (count > 0) scrubber.deleted();
            send({ type: 'deleted', id: msg.id, count });
          },
          (err: Error) => {
            scrubber.deleted();
            send({ type: 'deleted', id: msg.id, count: null, error: err.message });
          },
        );
        break;
      case 'scrub':
        store.bulk.scrub().then(
          (r) => {
            if (!r.walTruncated) scrubber.deleted();
            send({ type: 'deleted', id: msg.id, count: 0, walTruncated: r.walTruncated });
          },
          (err: Error) => {
            scrubber.deleted();
            send({ type: 'deleted', id: msg.id, count: null, error: err.message });
          },
        );
        break;
      case 'scrub-soon':
        scrubber.deleted();
        break;
      case 'ingest': {
        lastIngest = performance.now();
        const raw = Buffer.from(msg.message.raw.buffer, msg.message.raw.byteOffset, msg.message.raw.byteLength);
        const incoming: IncomingMessage = { ...msg.message, raw };
        store.committer.submit(() => store.messages.insertReceived(incoming)).then(
          (ids) => {
            // A small message is stored deflated at the kept level already (insertReceived): the parse worker need not deflate it again.
            parseQueue.enqueue(ids.contentId, raw, { packRaw: !deflatedBeforeAck(raw.length) });
            send({ type: 'stored', id: msg.id, ids, backlog: parseQueue.length, waiting: parseQueue.waiting });
          },
          (err: Error & { code?: string }) => send({ type: 'failed', id: msg.id, code: err.code ?? '', message: err.message }),
        );
        break;
      }
      case 'hold-parsing':
        parseQueue.hold(msg.on);
        break;
      case 'idle':
        void parseQueue.idle().then(() => send({ type: 'idle', id: msg.id, stats: stats() }));
        break;
      case 'close':
        abortPrune = true;
        void Promise.resolve(pruning).then(() => scrubber.close({ flush: true })).then(() => parseQueue.close()).then(() => {
          clearInterval(statsTimer);
          store.close();
          send({ type: 'closed', stats: stats() });
          flushOutbox();
          port.close();
        });
        break;
    }
  });
  // Ready once a parse worker has loaded (0.3-3 s): the first message after
  // a start is then parsed at once instead of waiting for it.
  void parseQueue.warm().then(() => send({ type: 'ready', stats: stats() }));
} catch (err) {
  send({ type: 'fatal', message: (err as Error).message, code: (err as { code?: string }).code ?? '' });
}
