// DeliveryQueue on the SQLite engine: WebhookStore's due, lease and settle
// behind promises. One process sends from a SQLite store, and lease() takes
// a row only while it is still due, so a row is never attempted twice at once.
import type { Store } from './index.js';
import type { Delivery } from './webhooks.js';
import type { DeliveryQueue } from './delivery-queue.js';

export function sqliteDeliveryQueue(store: Pick<Store, 'webhooks' | 'addresses' | 'domains'>): DeliveryQueue {
  const { webhooks } = store;
  return {
    async claim(now, limit, leaseUntil) {
      const leased: Delivery[] = [];
      for (const row of webhooks.due(now, limit)) {
        const d = webhooks.lease(row.id, now, leaseUntil);
        if (d) leased.push(d);
      }
      return leased;
    },
    settle: async (d, line, outcome) => webhooks.settle(d, line, outcome),
    prune: async (before) => webhooks.prune(before),
    secretFor: async (userId) => webhooks.secretFor(userId),
    slackToFrom: async (address) =>
      address.startsWith('*@') ? (store.domains.get(address.slice(2))?.webhookSlackToFrom ?? false) : (store.addresses.get(address)?.webhookSlackToFrom ?? false),
  };
}
