// A read by id in the moment between the 250 and "ready" waits for the
// message instead of answering with a half-made one (issue 10: a client that
// polls right after the 250 saw an empty subject, sender and text). The wait
// is bounded; past it the caller answers 503 with Retry-After.
import type { ReadyEvents } from './ready-events.js';

/** How long a read by id waits for a message to become ready (issue 10: "bounded, e.g. 2 s"). */
export const READY_WAIT_MS = 2000;

/**
 * Re-reads the flag this often as well as listening: a notice can be missed
 * (the writer thread restarted, or this process has no events, as in tests
 * that build the web app alone), and the store is the truth.
 */
const RECHECK_MS = 100;

/** What waitReady needs from the store: whether a message exists and is ready. */
export interface ReadyLookup {
  /** null: no such message; false: stored, not ready yet. A reader answers with a promise. */
  isReady(messageId: string): boolean | null | Promise<boolean | null>;
}

/** The message is missing or ready ('settled') or still not ready after `ms` ('pending'). */
export type WaitOutcome = 'settled' | 'pending';

export async function waitReady(store: ReadyLookup, events: ReadyEvents | undefined, messageId: string, ms = READY_WAIT_MS): Promise<WaitOutcome> {
  const settledNow = async () => (await store.isReady(messageId)) !== false;
  if (await settledNow()) return 'settled';
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: WaitOutcome) => {
      if (done) return;
      done = true;
      unsubscribe();
      clearInterval(recheck);
      clearTimeout(bound);
      resolve(outcome);
    };
    // One look at a time: a slow read is not stacked up by the next tick.
    let looking = false;
    const look = () => {
      if (looking || done) return;
      looking = true;
      settledNow().then(
        (settled) => {
          looking = false;
          if (settled) finish('settled');
        },
        () => {
          looking = false;
        },
      );
    };
    const unsubscribe = events?.subscribe((n) => {
      if (n.copies.some((c) => c.id === messageId)) finish('settled');
    }) ?? (() => {});
    const recheck = setInterval(look, RECHECK_MS);
    const bound = setTimeout(() => {
      settledNow().then(
        (settled) => finish(settled ? 'settled' : 'pending'),
        () => finish('pending'),
      );
    }, ms);
    // The notice may have been published between the first check and subscribing.
    look();
  });
}

/** Thrown by a route's message loader when the wait ran out; the app answers 503 + Retry-After. */
export class MessageNotReadyError extends Error {
  /** Seconds a client should wait before asking again (Retry-After, RFC 9110 §10.2.3). */
  readonly retryAfter = 1;
  constructor(readonly messageId: string) {
    super('message is still being processed');
  }
}
