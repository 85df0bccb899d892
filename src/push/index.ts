// Push (issue 11): what happens when a message becomes ready. The websocket
// hub sends it to watching sockets and the webhook queue commits its
// deliveries and works them off. Both hear the same ReadyEvents (issue 10's
// seam), so a multi-node store can feed them the same way. The deliveries
// themselves were committed with the message (store/webhooks.ts); the event
// only wakes the queue.
import type { Server } from 'node:http';
import { sqliteOnly } from '../store/engine-store.js';
import type { EngineStore } from '../store/engine-store.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ReadyEvents } from '../ingest/ready-events.js';
import { WebsocketHub } from './websocket-hub.js';
import { WebhookQueue } from './webhook-queue.js';
import type { Resolver } from './safe-target.js';
import { closeLiveStreams } from './live-inbox.js';
import { messagePayload } from './message-payload.js';
import { sqliteDeliveryQueue } from '../store/sqlite-delivery-queue.js';
import type { DeliveryQueue } from '../store/delivery-queue.js';

export interface Push {
  hub: WebsocketHub;
  webhooks: WebhookQueue;
  close(): Promise<void>;
}

export interface PushOptions {
  config: Config;
  store: EngineStore;
  log: Logger;
  ready: ReadyEvents;
  /** The HTTP server whose 'upgrade' event carries /incoming-messages. */
  server: Server;
  resolve?: Resolver;
  /** The webhook queue's rows; default the SQLite store's (a PostgreSQL node passes pgDeliveryQueue). */
  deliveries?: DeliveryQueue;
}

export function startPush(opts: PushOptions): Push {
  const hub = new WebsocketHub({ config: opts.config, store: opts.store, log: opts.log.child({ component: 'websocket' }) });
  hub.attach(opts.server);
  const webhooks = new WebhookQueue({
    config: opts.config,
    deliveries: opts.deliveries ?? sqliteDeliveryQueue(sqliteOnly(opts.store, 'deliveries')),
    payload: (id) => messagePayload(opts.store, opts.config, id),
    log: opts.log.child({ component: 'webhooks' }),
    resolve: opts.resolve,
  });
  const offWebhooks = opts.ready.subscribe((n) => webhooks.onReady(n));
  const offHub = opts.ready.subscribe((n) => hub.publish(n));
  webhooks.start();
  return {
    hub,
    webhooks,
    async close() {
      offHub();
      offWebhooks();
      hub.close();
      closeLiveStreams(opts.store);
      await webhooks.close();
    },
  };
}
