// Which RCPT TO addresses Mailroom accepts. Mailroom is a final destination
// only: anything not at a configured domain is refused, so it can never relay.
import { canonicalAddress, type CanonicalAddress } from '../policy/address.js';

export interface RecipientPolicy {
  domains: string[];
  reservedLocalParts: string[];
  reservedHandling: 'admin-only' | 'reject';
  /** Domains added and verified by accounts (issue 12), looked up per recipient (in the store: a promise). */
  acceptsDomain?: (domain: string) => boolean | Promise<boolean>;
}

export type RecipientDecision =
  | { ok: true; address: CanonicalAddress; reserved: boolean }
  | { ok: false; code: number; message: string };

export function isReservedLocalPart(policy: Pick<RecipientPolicy, 'reservedLocalParts'>, local: string): boolean {
  return policy.reservedLocalParts.includes(local);
}

export async function decideRecipient(policy: RecipientPolicy, rcpt: string): Promise<RecipientDecision> {
  const address = canonicalAddress(rcpt);
  if (!address) {
    // Quoted strings, source routes, bang paths (bad-input 2) and control characters (27).
    return { ok: false, code: 553, message: '5.1.3 Recipient address syntax not accepted here' };
  }
  if (!policy.domains.includes(address.domain) && !((await policy.acceptsDomain?.(address.domain)) ?? false)) {
    // RFC 5321 3.6.2: a server that is not a relay refuses foreign domains.
    return { ok: false, code: 550, message: '5.7.1 Relaying denied: this server only receives mail for its own domains' };
  }
  const reserved = isReservedLocalPart(policy, address.local);
  if (reserved && policy.reservedHandling === 'reject') {
    return { ok: false, code: 550, message: '5.1.1 Mailbox unavailable' };
  }
  return { ok: true, address, reserved };
}
