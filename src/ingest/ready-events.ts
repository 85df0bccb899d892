// "Ready" is the moment a message becomes whole: its raw bytes were committed
// (the 250 went out) and its processing result (parsed fields, text, search
// entry, attachment index) was committed too, or processing failed and the
// message is kept raw and flagged. Nothing lists, counts, searches or pushes
// a message before this (issue 10). Push (live channels, webhooks, live pages)
// subscribes here; a multi-node store can carry the same events across nodes
// behind this interface (issue 14).

/** One recipient's copy of a message that just became ready. */
export interface ReadyCopy {
  /** The public message id (Mailsac's `_id`). */
  id: string;
  /** Canonical inbox address (local@domain). */
  inbox: string;
  domain: string;
  /**
   * The account that sent it through Email Capture (issue 12), or null: a
   * captured copy may be pushed only to that account and admins, never to
   * the inbox's other watchers (messages.ts capturedVisible).
   */
  capturedBy?: number | null;
}

export interface ReadyNotice {
  /** The stored content all copies share. */
  contentId: number;
  /** 'ok' when processed; 'failed' when kept raw and flagged. Both are ready. */
  state: 'ok' | 'failed';
  /** When the 250 was earned (epoch ms), so 250→ready can be measured. */
  received: number;
  copies: ReadyCopy[];
  /**
   * Webhook and Slack deliveries queued in the commit that made it ready;
   * absent when not known. 0 lets the webhook queue skip looking for due
   * rows on the main thread (issue 16: one query per ready message there).
   */
  deliveries?: number;
}

export type ReadyListener = (notice: ReadyNotice) => void;

export interface ReadyEvents {
  /** Calls `listener` for every message that becomes ready from now on. Returns the unsubscribe function. */
  subscribe(listener: ReadyListener): () => void;
}

/** The single-process implementation: the writer thread reports, subscribers on the main thread hear. */
export class LocalReadyEvents implements ReadyEvents {
  private readonly listeners = new Set<ReadyListener>();

  subscribe(listener: ReadyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called by the ingest pipeline once a processing result is committed. */
  publish(notice: ReadyNotice): void {
    for (const l of this.listeners) {
      try {
        l(notice);
      } catch {
        // One subscriber's bug must not stop the others from hearing the event.
      }
    }
  }
}
