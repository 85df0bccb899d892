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
// NOTIFY is not replayed to a connection that was down when it was sent. So
// the LISTEN runs on a connection of its own whose loss we hear; it is sent
// again until the server answers, and then the messages that became ready
// meanwhile (contents.ready_at, by the database's clock, from a little
// before the last event heard) are read and published, each once.
import type { Logger } from '../log.js';
import { openListenConnection, type Sql } from '../store/pg/driver.js';
import { decodeReadyPayload, READY_CHANNEL } from '../store/pg/ready-payload.js';
import { databaseNow, listenForReady, readyCopiesOf, readyCopiesOfMany, readySince } from '../store/pg/ready-listener.js';
import type { ReadyCopy, ReadyEvents, ReadyListener, ReadyNotice } from './ready-events.js';

/**
 * How far before the newest event heard a catch-up looks: a transaction sets
 * ready_at a little before it commits, so one that set it earlier than an
 * event already heard may commit (and notify) after it.
 */
const CATCH_UP_MARGIN_MS = 10_000;
/** Events caught up at most per reconnect; past that the oldest are left (their mail is listed regardless). */
const CATCH_UP_MAX = 10_000;

export interface PgReadyEventsOptions {
  /** First wait before sending LISTEN again after the connection was lost; doubles up to 10 s. */
  reconnectDelayMs?: number;
  log?: Logger;
  /** Awaited before each new LISTEN: a seam for tests that need the connection to stay down for a while. */
  beforeRelisten?: () => Promise<void>;
}

export class PgReadyEvents implements ReadyEvents {
  private readonly listeners = new Set<ReadyListener>();
  private listenConn: Sql | null = null;
  private closed = false;
  /** Newest ready_at heard (the database's clock). */
  private watermark = 0;
  /** When the first LISTEN was in place (the database's clock). */
  private startedAt = 0;
  /** Content ids published lately, with their ready_at: a catch-up publishes nothing twice. */
  private readonly recent = new Map<number, number>();
  private reconnecting: Promise<void> | null = null;
  private published = 0;
  /** Whether LISTEN is in place right now. */
  listening = false;
  /** Events whose copies had to be read, events published by a catch-up, reads that failed: for tests and /healthz. */
  fetched = 0;
  caughtUp = 0;
  fetchFailed = 0;

  private constructor(
    private readonly url: string,
    private readonly sql: Sql,
    private readonly opts: PgReadyEventsOptions,
  ) {}

  /**
   * Resolves once this node's LISTEN is in place: events committed from then
   * on are heard. `sql` (the node's pool) reads copies and catches up.
   */
  static async start(url: string, sql: Sql, opts: PgReadyEventsOptions = {}): Promise<PgReadyEvents> {
    const events = new PgReadyEvents(url, sql, opts);
    try {
      await events.listen();
    } catch (err) {
      await events.close();
      throw err;
    }
    const now = await databaseNow(sql);
    // Events that became ready before this node listened are not its own to publish.
    events.watermark = events.startedAt = now;
    return events;
  }

  subscribe(listener: ReadyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    const conn = this.listenConn;
    this.listenConn = null;
    await conn?.end({ timeout: 1 });
    await this.reconnecting?.catch(() => {});
  }

  private async listen(): Promise<void> {
    this.listenConn ??= openListenConnection(this.url, {
      onNotify: (channel, payload) => {
        if (channel === READY_CHANNEL) void this.receive(payload);
      },
      onClose: () => this.lost(),
    });
    await listenForReady(this.listenConn);
    this.listening = true;
  }

  private lost(): void {
    this.listening = false;
    if (this.closed || this.reconnecting) return;
    this.reconnecting = this.relisten().finally(() => (this.reconnecting = null));
  }

  private async relisten(): Promise<void> {
    let delay = this.opts.reconnectDelayMs ?? 500;
    while (!this.closed) {
      await new Promise((r) => setTimeout(r, delay));
      await this.opts.beforeRelisten?.();
      if (this.closed) return;
      try {
        await this.listen();
        this.opts.log?.info('ready events: listening again, catching up');
        await this.catchUp();
        return;
      } catch (err) {
        this.opts.log?.warn({ err: { message: (err as Error).message } }, 'ready events: LISTEN failed; retrying');
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  /** Publishes what became ready while LISTEN was down (and was not heard). */
  private async catchUp(): Promise<void> {
    const since = Math.max(this.startedAt, this.watermark - CATCH_UP_MARGIN_MS);
    const rows = await readySince(this.sql, since, CATCH_UP_MAX);
    const missed = rows.filter((r) => !this.recent.has(r.contentId));
    if (!missed.length) return;
    const copies = await readyCopiesOfMany(this.sql, missed.map((r) => r.contentId));
    for (const { readyAt, ...r } of missed) {
      const mine = copies.get(r.contentId);
      if (!mine) continue; // deleted since
      this.caughtUp++;
      this.publish({ ...r, copies: mine }, readyAt);
    }
  }

  private async receive(text: string): Promise<void> {
    const p = decodeReadyPayload(text);
    if (!p) return; // not ours: someone else NOTIFYing on the channel
    let copies: ReadyCopy[];
    if (p.copies) copies = p.copies;
    else {
      try {
        copies = await readyCopiesOf(this.sql, p.contentId);
        this.fetched++;
      } catch {
        this.fetchFailed++;
        return;
      }
    }
    this.publish({ contentId: p.contentId, state: p.state, received: p.received, copies }, p.readyAt);
  }

  private publish(notice: ReadyNotice, readyAt: number): void {
    if (this.recent.has(notice.contentId)) return;
    this.recent.set(notice.contentId, readyAt);
    if (readyAt > this.watermark) this.watermark = readyAt;
    // Only events inside the catch-up window can be met again; the rest are
    // forgotten now and then (not on every event: the map may be large).
    if (++this.published % 1000 === 0) for (const [id, at] of this.recent) if (at < this.watermark - 2 * CATCH_UP_MARGIN_MS) this.recent.delete(id);
    for (const l of this.listeners) {
      try {
        l(notice);
      } catch {
        // One subscriber's bug must not stop the others from hearing the event.
      }
    }
  }
}
