// Webhooks and Slack posts for ready messages (issue 11), delivered at least
// once: a ready message's deliveries are committed to the queue table in the
// very transaction that makes it ready (WebhookStore.enqueueForReady, on the
// writer thread; PgMessageWriter on PostgreSQL), so a kill -9 at any point
// leaves them due; this queue only claims due rows and attempts them; an
// attempt leases its row until its deadline, so a crash mid-attempt leaves
// the row due again. The rows are reached through a DeliveryQueue
// (store/delivery-queue.ts): on PostgreSQL every node runs one of these and
// each due row is claimed by one node. Failures are retried with exponential
// backoff until webhooks.retryHours after the message was queued. Every
// attempt is logged for the owner (time, URL, status, latency, attempt, error).
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Delivery } from '../store/webhooks.js';
import type { AttemptLine, DeliveryQueue } from '../store/delivery-queue.js';
import type { ReadyNotice } from '../ingest/ready-events.js';
import { checkTarget, TargetRefused, type Resolver, type TargetPolicy } from './safe-target.js';
import { postJson } from './deliver.js';
import type { MessagePayload } from './message-payload.js';
import { signatureHeader, SIGNATURE_HEADER } from './signature.js';
import { slackPayload } from './slack.js';

/** Attempts in flight at once, across all receivers. */
const CONCURRENCY = 8;
/** How often the queue looks for due rows besides being woken by new mail. */
const POLL_MS = 1000;
const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_MS = 3600_000;
/** Finished deliveries and activity lines kept this long. */
const KEEP_MS = 7 * 24 * 3600_000;

/** Delay before attempt n+1 after n failures: 10 s doubling to at most an hour, with up to 10% jitter so receivers that failed together do not retry together. */
export function retryDelayMs(failures: number, random = Math.random): number {
  const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (1 + random() * 0.1));
}

export interface WebhookQueueOptions {
  config: Config;
  /** The queue's rows, secrets and Slack settings on the store's engine. */
  deliveries: DeliveryQueue;
  /** The message as pushed, built at each attempt (messagePayload); null: deleted before delivery. */
  payload: (messageId: string) => Promise<MessagePayload | null>;
  log: Logger;
  /** Tests swap the resolver to check names that resolve inside. */
  resolve?: Resolver;
}

export class WebhookQueue {
  private readonly deliveries: DeliveryQueue;
  private readonly policy: TargetPolicy;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastPrune = 0;
  /** The claim in progress: one at a time, so two never count the same free room. */
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  delivered = 0;
  failedAttempts = 0;

  constructor(private readonly opts: WebhookQueueOptions) {
    this.deliveries = opts.deliveries;
    this.policy = { allowPrivateNetworks: opts.config.webhooks.allowPrivateNetworks, allowedPorts: opts.config.webhooks.allowedPorts };
  }

  start(): void {
    this.timer = setInterval(() => this.pump(), POLL_MS);
    this.timer.unref();
    this.pump();
  }

  /** A message became ready: its deliveries (if any) are already committed, so look for due rows now rather than at the next poll. */
  onReady(notice: ReadyNotice): void {
    // None queued with it: nothing new is due (retries have their own timer and the poll).
    if (notice.deliveries === 0) return;
    this.pump();
  }

  private pump(): void {
    if (this.closed) return;
    if (this.pumping) {
      // Woken during a claim: claim again once it is done, with the room left then.
      this.pumpAgain = true;
      return;
    }
    this.pumping = this.claimAndStart().finally(() => {
      this.pumping = null;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.pump();
      }
    });
  }

  private async claimAndStart(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune > 3600_000) {
      this.lastPrune = now;
      // A busy database: the next hour's prune catches up.
      await this.deliveries.prune(now - KEEP_MS).catch(() => {});
    }
    const room = CONCURRENCY - this.inFlight.size;
    if (room <= 0 || this.closed) return;
    const leaseMs = this.opts.config.webhooks.timeoutMs + 5000;
    let claimed: Delivery[];
    try {
      claimed = await this.deliveries.claim(now, room, now + leaseMs);
    } catch (err) {
      this.opts.log.warn({ err: { message: (err as Error).message } }, 'webhook queue not readable');
      return;
    }
    for (const d of claimed) {
      const p = this.attempt(d).catch((err) => this.opts.log.error({ err: { message: (err as Error).message }, delivery: d.id }, 'webhook attempt failed'));
      this.inFlight.add(p);
      void p.finally(() => {
        this.inFlight.delete(p);
        this.pump();
      });
    }
  }

  private async attempt(d: Delivery): Promise<void> {
    const at = Date.now();
    const { config } = this.opts;
    const payload = await this.opts.payload(d.messageId);
    if (!payload) {
      await this.deliveries.settle(d, { at, status: null, latencyMs: 0, error: 'message deleted before delivery' }, 'failed');
      return;
    }
    let target;
    try {
      target = await checkTarget(d.url, this.policy, this.opts.resolve);
    } catch (err) {
      const error = err instanceof TargetRefused ? `refused: ${err.message}` : (err as Error).message;
      // The URL is checked again at every attempt: DNS may change, and so may the config.
      return this.failed(d, { at, status: null, latencyMs: Date.now() - at, error });
    }
    let body: string;
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'Mailroom-Webhook/1' };
    if (d.kind === 'slack') {
      body = JSON.stringify(slackPayload(payload, await this.deliveries.slackToFrom(d.address), config.http.publicUrl));
    } else {
      body = JSON.stringify(payload);
      headers[SIGNATURE_HEADER] = signatureHeader(await this.deliveries.secretFor(d.userId), body);
      // Receivers deduplicate on this: delivery is at least once.
      headers['Mailroom-Delivery'] = String(d.id);
      headers['Mailroom-Attempt'] = String(d.attempts);
    }
    const r = await postJson(target, body, headers, config.webhooks.timeoutMs);
    const line = { at, status: r.status, latencyMs: r.latencyMs, error: r.error };
    if (r.status !== null && r.status >= 200 && r.status < 300) {
      this.delivered++;
      await this.deliveries.settle(d, line, 'delivered');
    } else await this.failed(d, line);
  }

  private async failed(d: Delivery, line: AttemptLine): Promise<void> {
    this.failedAttempts++;
    const retryAt = Date.now() + retryDelayMs(d.attempts);
    const giveUp = retryAt > d.created + this.opts.config.webhooks.retryHours * 3600_000;
    await this.deliveries.settle(d, giveUp ? { ...line, error: `${line.error}; giving up after ${d.attempts} attempts` } : line, giveUp ? 'failed' : { retryAt });
  }

  /** Stops taking new attempts and waits (bounded by the attempt timeout) for those in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    // A claim in progress starts its attempts before it settles: wait for it, then for them.
    await this.pumping;
    await Promise.allSettled([...this.inFlight]);
  }
}
