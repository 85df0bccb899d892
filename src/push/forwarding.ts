// Forwarding delivery (issue 11). Whether `forward` may name an address is
// policy/forwarding.ts forwardRefusal (the API and the account page both
// refuse an outside address when it is set); here the forward happens.
//
// When a message arrives for an address with `forward`, the target inbox
// gets its own copy of the same stored content in the same commit as the
// original (no second durable path, no window in which the forward can be
// lost), with originalInbox naming the address it was sent to. The copy
// becomes ready with the others, so the target's websocket and webhook
// settings apply to it. One hop only: a forwarded copy is not forwarded
// again, so two addresses forwarding to each other cannot loop.
//
// An account domain's `forward` (issue 11; what Mailsac keeps on the domain's
// catch-all address) applies to every message for the domain, besides the
// address's own: the target gets one copy per message whichever of the two
// (or how many of the domain's recipients) asked for it.
import type { Config } from '../config.js';
import type { RecipientLookups } from '../store/lookup-cache.js';
import type { IncomingMessage } from '../store/messages.js';
import { canonicalAddress } from '../policy/address.js';
import { forwardRefusal } from '../policy/forwarding.js';

/** The message with one more recipient per forwarding address among its recipients. */
/** store: an EngineStore, or what a receiving node has of one (the owned addresses and account domains). */
export async function withForwards(store: { data: RecipientLookups }, config: Config, msg: IncomingMessage): Promise<IncomingMessage> {
  let extra: IncomingMessage['recipients'] | null = null;
  const inboxes = new Set(msg.recipients.map((r) => r.inbox));
  const domainForward = new Map<string, string | null>();
  for (const r of msg.recipients) {
    if (!domainForward.has(r.domain)) domainForward.set(r.domain, (await store.data.domains.pushSettings(r.domain))?.forward ?? null);
    for (const fwd of [(await store.data.addresses.get(r.inbox))?.forward, domainForward.get(r.domain)]) {
      // Checked again here: the domains in the config may have changed since it was set.
      if (!fwd || forwardRefusal(config, fwd, r.inbox)) continue;
      const t = canonicalAddress(fwd)!;
      if (inboxes.has(t.inbox)) continue;
      inboxes.add(t.inbox);
      (extra ??= []).push({ inbox: t.inbox, original: r.original, domain: t.domain });
    }
  }
  return extra ? { ...msg, recipients: [...msg.recipients, ...extra] } : msg;
}

/**
 * The SMTP receiver's ingest: forwards added (withForwards), then stored by
 * `store`. `inProgress` counts the messages still looking up their forwards:
 * they are between the final dot and the engine's own count, and the backlog
 * gate (smtp/backlog-gate.ts) must count them, or one report would let every
 * held reply in.
 */
export function ingestWithForwards<R>(
  repos: { data: RecipientLookups },
  config: Config,
  store: (message: IncomingMessage) => Promise<R>,
): { ingest: (message: IncomingMessage) => Promise<R>; inProgress: () => number } {
  let looking = 0;
  return {
    ingest: async (message) => {
      looking++;
      let withCopies: IncomingMessage;
      try {
        withCopies = await withForwards(repos, config, message);
      } finally {
        looking--;
      }
      return store(withCopies);
    },
    inProgress: () => looking,
  };
}
