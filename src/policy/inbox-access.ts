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
import type { Store } from '../store/index.js';
import type { WebDeps } from '../http/deps.js';
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
export function inboxAccess(deps: { store: Store; config: Config }, inbox: string, p: Principal): InboxAccess {
  const admin = isAdmin(p);
  if (isReservedInbox(deps.config, inbox)) return { kind: 'reserved', ownerId: null, read: admin, change: admin, manage: admin };
  const ownerId = deps.store.addresses.ownerOf(inbox) ?? privateDomainOwner(deps.store, inbox);
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
export function privateDomainOwner(store: Store, inbox: string): number | null {
  const d = store.domains.verifiedOwner(inbox.slice(inbox.lastIndexOf('@') + 1));
  return d && d.isPrivate ? d.ownerId : null;
}

/** Whether this principal may change (delete, star, label, file) messages of the inbox. */
export function canChangeInbox(deps: Pick<WebDeps, 'store' | 'config'>, inbox: string, p: Principal): boolean {
  return inboxAccess(deps, inbox, p).change;
}

/** Whether this principal may see the inbox's messages. */
export function canReadInbox(deps: Pick<WebDeps, 'store' | 'config'>, inbox: string, p: Principal): boolean {
  return inboxAccess(deps, inbox, p).read;
}

/** Whether the inbox is private (owned or reserved): pages say so, public pages say they are public. */
export function isPrivateInbox(deps: Pick<WebDeps, 'store' | 'config'>, inbox: string): boolean {
  return isReservedInbox(deps.config, inbox) || deps.store.addresses.ownerOf(inbox) !== null || privateDomainOwner(deps.store, inbox) !== null;
}
