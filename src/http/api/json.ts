// Mailroom's records in Mailsac's JSON vocabulary (EmailMessage,
// EmailAddress, AttachmentMeta). Field names and types follow
// reference/mailsac-openapi.yml; every string is data, escaped by JSON itself.
import type { Store } from '../../store/index.js';
import type { MessageView, AttachmentMeta } from '../../store/messages.js';
import type { OwnedAddress } from '../../store/addresses.js';

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

export function messageJson(store: Store, m: MessageView, via: string): Record<string, unknown> {
  const savedById = m.starred ? store.queries.savedBy(m.id) : null;
  const savedBy = savedById === null ? null : (store.users.byId(savedById)?.username ?? null);
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
