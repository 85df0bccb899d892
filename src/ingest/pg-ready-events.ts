// Ready events across nodes (issue 14): the transaction that makes a message
// ready (store/pg/message-writer.ts) also runs pg_notify on READY_CHANNEL, so
// PostgreSQL delivers the event to every node LISTENing, this one included,
// only once that transaction committed, and never for one that rolled back.
// Push (websocket, webhooks, live pages) subscribes here exactly as it does
// to LocalReadyEvents on a single node.
//
// The payload is small (store/pg/ready-payload.ts): NOTIFY carries at most
// 8000 bytes, so a message with many recipients sends only its content id
// and every listener reads the copies from the database (one indexed query).
//
// What LISTEN cannot give: an event sent while a node's listening connection
// was down is not replayed to that node (postgres.js reconnects and listens
// again). Its push clients miss that event as they would across a restart;
// the stored message is listed and readable everywhere regardless.
import type { Sql } from '../store/pg/driver.js';
import { decodeReadyPayload, READY_CHANNEL } from '../store/pg/ready-payload.js';
import type { ReadyCopy, ReadyEvents, ReadyListener, ReadyNotice } from './ready-events.js';

export class PgReadyEvents implements ReadyEvents {
  private readonly listeners = new Set<ReadyListener>();
  private unlisten: (() => Promise<void>) | null = null;
  /** Events whose copies had to be read from the database, and reads that failed (for tests and /healthz). */
  fetched = 0;
  fetchFailed = 0;

  private constructor(private readonly sql: Sql) {}

  /** Resolves once this node's LISTEN is in place: events committed from then on are heard. */
  static async start(sql: Sql): Promise<PgReadyEvents> {
    const events = new PgReadyEvents(sql);
    const request = await sql.listen(READY_CHANNEL, (payload) => void events.receive(payload));
    events.unlisten = () => request.unlisten();
    return events;
  }

  subscribe(listener: ReadyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    const unlisten = this.unlisten;
    this.unlisten = null;
    this.listeners.clear();
    await unlisten?.();
  }

  private async receive(text: string): Promise<void> {
    const p = decodeReadyPayload(text);
    if (!p) return; // not ours: someone else NOTIFYing on the channel
    let copies: ReadyCopy[];
    if (p.copies) copies = p.copies;
    else {
      try {
        copies = [
          ...(await this.sql<ReadyCopy[]>`
          SELECT id, inbox, domain, captured_by AS "capturedBy" FROM messages WHERE content_id = ${p.contentId} ORDER BY seq`),
        ];
        this.fetched++;
      } catch {
        this.fetchFailed++;
        return;
      }
    }
    const notice: ReadyNotice = { contentId: p.contentId, state: p.state, received: p.received, copies };
    for (const l of this.listeners) {
      try {
        l(notice);
      } catch {
        // One subscriber's bug must not stop the others from hearing the event.
      }
    }
  }
}
