// Mailroom's records in Mailsac's JSON vocabulary (EmailMessage,
// EmailAddress, AttachmentMeta). Field names and types follow
// reference/mailsac-openapi.yml; every string is data, escaped by JSON itself.
import type { Store } from '../../store/index.js';
import type { MessageView, AttachmentMeta } from '../../store/messages.js';
import type { OwnedAddress } from '../../store/addresses.js';

/** Who is reading a message's JSON, for the fields only some may see. */
export interface Viewer {
  userId: number | null;
  admin: boolean;
}

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/**
 * savedBy names an account, so it is shown only to that account, the inbox's
 * owner and admins (issue 13 item 7); anyone else reading a public inbox
 * sees null, as for an unstarred message.
 */
function savedByFor(store: Store, m: MessageView, viewer: Viewer): string | null {
  const savedById = m.starred ? store.queries.savedBy(m.id) : null;
  if (savedById === null) return null;
  const entitled = viewer.admin || (viewer.userId !== null && (viewer.userId === savedById || viewer.userId === store.addresses.ownerOf(m.inbox)));
  return entitled ? (store.users.byId(savedById)?.username ?? null) : null;
}

export function messageJson(store: Store, m: MessageView, via: string, viewer: Viewer): Record<string, unknown> {
  const savedBy = savedByFor(store, m, viewer);
  return {
    _id: m.id,
    from: m.from,
    to: m.to,
    cc: m.cc,
    bcc: m.bcc,
    subject: m.subject,
    savedBy,
    originalInbox: m.originalInbox,
    inbox: m.inbox,
    domain: m.domain,
    received: iso(m.received),
    size: m.size,
    attachments: m.attachments.map((a) => a.md5),
    ip: m.ip,
    via,
    folder: m.folder,
    labels: m.labels,
    read: m.read,
    rtls: m.tls,
    links: m.links,
    spam: 0,
    starred: m.starred,
    // Mailroom's own: parsing runs after the 250, so fresh mail may still be 'pending'.
    parseState: m.parseState,
  };
}

export function addressJson(a: OwnedAddress, withOwner: boolean): Record<string, unknown> {
  return {
    _id: a.address,
    ...(withOwner ? { owner: a.ownerName } : {}),
    info: a.info,
    forward: a.forward,
    enablews: a.enablews,
    webhook: a.webhook,
    webhookSlack: a.webhookSlack,
    webhookSlackToFrom: a.webhookSlackToFrom,
    catchAll: null,
    created: iso(a.created),
    updated: iso(a.updated),
  };
}

/** The answer for an address nobody owns (Mailsac omits `owner`). */
export function unownedAddressJson(address: string): Record<string, unknown> {
  return { _id: address, info: '', forward: null, enablews: false, webhook: null, webhookSlack: null, webhookSlackToFrom: false, catchAll: null };
}

export function attachmentJson(a: AttachmentMeta): Record<string, unknown> {
  return {
    checksum: a.md5,
    contentDisposition: a.inline ? 'inline' : 'attachment',
    contentId: a.cid,
    contentType: a.contentType,
    fileName: a.filename,
    length: a.size,
    transferEncoding: 'base64',
  };
}
