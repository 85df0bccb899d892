// Forwarding (issue 11): Mailroom never sends mail out, so `forward` may only
// name another inbox of this Mailroom. The check lives here and both the API
// and the account page call it, so a forward to an outside address is
// refused with the same clear error wherever it is set.
//
// Delivery: when a message arrives for an address with `forward`, the
// target inbox gets its own copy of the same stored content in the same
// commit as the original (no second durable path, no window in which the
// forward can be lost), with originalInbox naming the address it was sent to.
// The copy becomes ready with the others, so the target's websocket and
// webhook settings apply to it. One hop only: a forwarded copy is not
// forwarded again, so two addresses forwarding to each other cannot loop.
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import type { IncomingMessage } from '../store/messages.js';
import { canonicalAddress } from '../mail/address.js';
import { isReservedInbox } from '../web/auth/access.js';

/** Why `forward` may not be set to this address, or null when it may. */
export function forwardRefusal(config: Config, forward: string, from?: string): string | null {
  const t = canonicalAddress(forward);
  if (!t) return 'forward must be an email address';
  if (!config.domains.includes(t.domain)) {
    return `Mailroom never sends mail out: forward must be an inbox of this Mailroom (@${config.domains.join(', @')})`;
  }
  if (isReservedInbox(config, t.inbox)) return 'forward may not name a reserved address (postmaster, abuse, ...)';
  if (from && canonicalAddress(from)?.inbox === t.inbox) return 'an address cannot forward to itself';
  return null;
}

/** The message with one more recipient per forwarding address among its recipients. */
export function withForwards(store: Store, config: Config, msg: IncomingMessage): IncomingMessage {
  let extra: IncomingMessage['recipients'] | null = null;
  const inboxes = new Set(msg.recipients.map((r) => r.inbox));
  for (const r of msg.recipients) {
    const fwd = store.addresses.get(r.inbox)?.forward;
    // Checked again here: the domains in the config may have changed since it was set.
    if (!fwd || forwardRefusal(config, fwd, r.inbox)) continue;
    const t = canonicalAddress(fwd)!;
    if (inboxes.has(t.inbox)) continue;
    inboxes.add(t.inbox);
    (extra ??= []).push({ inbox: t.inbox, original: r.original, domain: t.domain });
  }
  return extra ? { ...msg, recipients: [...msg.recipients, ...extra] } : msg;
}
