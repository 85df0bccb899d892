// Who may read an inbox (issue 3, GUIDE "The product"):
// - local parts reserved in config (postmaster, abuse, ...): admins only;
// - an address reserved by an account, or under an account's verified private
//   domain (issue 12): its owner and admins;
// - every other address: anyone, unless privacy.publicInboxes is false, in
//   which case any signed-in user or key holder (privacy.unownedHandling
//   "signed-in") or admins only ("admin-only", "reject").
// The UI and the API both call canReadInbox, so they cannot disagree.
import type { Config } from '../config.js';
import { isReservedInbox } from './address.js';

export { isReservedInbox } from './address.js';
import type { EngineStore } from '../store/engine-store.js';
import { isAdmin, type Principal } from '../http/middleware/principal.js';
import type { Reader } from '../store/messages.js';

export type InboxKind = 'public' | 'owned' | 'reserved';

export interface InboxAccess {
  kind: InboxKind;
  /** The owning user id when kind is 'owned'. */
  ownerId: number | null;
  /** May read messages, bodies, attachments, raw source, counts and events. */
  read: boolean;
  /**
   * May change one message (delete, star, label, file, mark read): a reader
   * who is signed in or sent a key. Anonymous visitors read public mail but
   * never change it (issue 13 item 1): the API's 401 and the UI's forms follow
   * this one rule, applied again by the inbox service itself.
   */
  change: boolean;
  /** Owner or admin: may delete all, and sees the inbox as their own. */
  manage: boolean;
}

/** `inbox` must be canonical (canonicalAddress(...).inbox). */
export async function inboxAccess(deps: { store: EngineStore; config: Config }, inbox: string, p: Principal): Promise<InboxAccess> {
  const admin = isAdmin(p);
  if (isReservedInbox(deps.config, inbox)) return { kind: 'reserved', ownerId: null, read: admin, change: admin, manage: admin };
  const ownerId = (await deps.store.data.addresses.ownerOf(inbox)) ?? (await privateDomainOwner(deps.store, inbox));
  if (ownerId !== null) {
    const mine = admin || (p.kind === 'user' && p.user.id === ownerId);
    return { kind: 'owned', ownerId, read: mine, change: mine, manage: mine };
  }
  // publicInboxes off: any signed-in user, or (unownedHandling admin-only or reject) admins only.
  const { publicInboxes, unownedHandling } = deps.config.privacy;
  const read = publicInboxes || (unownedHandling === 'signed-in' ? p.kind === 'user' : admin);
  return { kind: 'public', ownerId: null, read, change: read && p.kind === 'user', manage: admin };
}

/**
 * Who reads, for captured mail (issue 12): within an inbox this principal may
 * read, messages sent through Email Capture are seen only by the account
 * that sent them and by admins. The store applies it in every list, count,
 * search and read by id that is given a reader (and hides captured mail from
 * those that are not).
 */
export function readerFor(p: Principal): Reader {
  return { userId: p.kind === 'user' ? p.user.id : null, admin: isAdmin(p) };
}

/**
 * The owner of a verified, private account domain the inbox is under (issue
 * 12: "a verified domain is owned by that account and private by default"):
 * every address there reads as the owner's, as if each were reserved.
 */
export async function privateDomainOwner(store: EngineStore, inbox: string): Promise<number | null> {
  const d = await store.data.domains.verifiedOwner(inbox.slice(inbox.lastIndexOf('@') + 1));
  return d && d.isPrivate ? d.ownerId : null;
}

/** Whether this principal may change (delete, star, label, file) messages of the inbox. */
export async function canChangeInbox(deps: { store: EngineStore; config: Config }, inbox: string, p: Principal): Promise<boolean> {
  return (await inboxAccess(deps, inbox, p)).change;
}

/** Whether this principal may see the inbox's messages. */
export async function canReadInbox(deps: { store: EngineStore; config: Config }, inbox: string, p: Principal): Promise<boolean> {
  return (await inboxAccess(deps, inbox, p)).read;
}

/** Whether the inbox is private (owned or reserved): pages say so, public pages say they are public. */
export async function isPrivateInbox(deps: { store: EngineStore; config: Config }, inbox: string): Promise<boolean> {
  return isReservedInbox(deps.config, inbox) || (await deps.store.data.addresses.ownerOf(inbox)) !== null || (await privateDomainOwner(deps.store, inbox)) !== null;
}
