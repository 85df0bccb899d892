// Mailroom's records in Mailsac's JSON vocabulary (EmailMessage,
// EmailAddress, AttachmentMeta, Domain). The shapes are declared once in
// schemas.ts; each builder here returns JsonOf<that shape>, so the published
// OpenAPI schema and the answer cannot drift. Every string is data, escaped by
// JSON itself.
import type { EngineStore } from '../../store/engine-store.js';
import type { MessageView, AttachmentMeta } from '../../store/messages.js';
import type { OwnedAddress } from '../../store/addresses.js';
import type { AccountDomain } from '../../store/account-domains.js';
import type { JsonOf } from './schemas.js';
import type * as S from './schemas.js';

/** Who is reading a message's JSON, for the fields only some may see. */
export interface Viewer {
  userId: number | null;
  admin: boolean;
}

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/**
 * The message's savedBy as this viewer may see it: savedBy names an account,
 * so it is shown only to that account, the inbox's owner and admins (issue
 * 13 item 7); anyone else reading a public inbox sees null, as for an
 * unstarred message. Read before messageJson builds the answer (the name
 * comes from the account repositories, behind a promise on either engine).
 */
export async function savedByFor(store: EngineStore, m: MessageView, viewer: Viewer): Promise<string | null> {
  const savedById = m.starred ? await store.reader.savedBy(m.id) : null;
  if (savedById === null) return null;
  const entitled = viewer.admin || (viewer.userId !== null && (viewer.userId === savedById || viewer.userId === (await store.data.addresses.ownerOf(m.inbox))));
  return entitled ? ((await store.data.users.byId(savedById))?.username ?? null) : null;
}

/**
 * `via` is the IP address of the listener that took the message (Mailsac:
 * "IP address of SMTP server that received the message from ip"); the caller
 * passes '' when privacy.storeSenderIp is off, with `ip` blanked too.
 * `read` is null until the message is marked read (Mailsac sets it only when
 * a reader does); Mailroom keeps one flag, so "marked unread" is null as well.
 * `savedBy` is savedByFor's answer for the viewer.
 */
export function messageJson(m: MessageView, via: string, savedBy: string | null): JsonOf<typeof S.EmailMessage> {
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
    received: new Date(m.received).toISOString(),
    size: m.size,
    attachments: m.attachments.map((a) => a.md5),
    ip: m.ip,
    via,
    folder: m.folder as JsonOf<typeof S.EmailMessage>['folder'],
    labels: m.labels,
    read: m.read ? true : null,
    rtls: m.tls,
    links: m.links,
    spam: 0,
    starred: m.starred,
    // Mailroom's own: parsing runs after the 250, so fresh mail may still be 'pending'.
    parseState: m.parseState,
  };
}

export function addressJson(a: OwnedAddress, withOwner: boolean): JsonOf<typeof S.EmailAddress> {
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
    created: new Date(a.created).toISOString(),
    updated: new Date(a.updated).toISOString(),
  };
}

/**
 * The catch-all address `*@domain` of an account's domain, as Mailsac's
 * EmailAddress (catchAll names the domain). Its forwarding fields are the
 * domain's push settings: they apply to every message for the domain.
 */
export function catchAllAddressJson(d: AccountDomain): JsonOf<typeof S.EmailAddress> {
  return {
    _id: `*@${d.domain}`,
    owner: d.ownerName,
    info: '',
    forward: d.forward,
    enablews: d.enablews,
    webhook: d.webhook,
    webhookSlack: d.webhookSlack,
    webhookSlackToFrom: d.webhookSlackToFrom,
    catchAll: d.domain,
    created: new Date(d.created).toISOString(),
    updated: new Date(d.updated).toISOString(),
  };
}

/** The answer for an address nobody owns (Mailsac omits `owner`). */
export function unownedAddressJson(address: string): JsonOf<typeof S.EmailAddress> {
  return { _id: address, info: '', forward: null, enablews: false, webhook: null, webhookSlack: null, webhookSlackToFrom: false, catchAll: null };
}

export function attachmentJson(a: AttachmentMeta): JsonOf<typeof S.AttachmentMetaItem> {
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

/** A domain this Mailroom receives mail for (config.domains: the operator's, public, verified by configuration). */
export function configDomainJson(domain: string, isDefault: boolean): JsonOf<typeof S.Domain> {
  return {
    _id: domain,
    created: null,
    updated: null,
    enablews: false,
    hosted: false,
    isDefault,
    isPrivate: false,
    lastVerificationErrors: '',
    owner: null,
    verificationTxt: '',
    verified: true,
    verifiedMx: true,
    forward: null,
    webhook: null,
    webhookSlack: null,
    webhookSlackToFrom: false,
  };
}

/** A domain an account added (issue 12): private by default, verified once its TXT record was seen; verifiedMx once an MX record naming this Mailroom was; its push settings (issue 11). */
export function accountDomainJson(d: AccountDomain, txt: string): JsonOf<typeof S.Domain> {
  return {
    _id: d.domain,
    created: new Date(d.created).toISOString(),
    updated: new Date(d.updated).toISOString(),
    enablews: d.enablews,
    hosted: false,
    isDefault: false,
    isPrivate: d.isPrivate,
    lastVerificationErrors: d.lastError,
    owner: d.ownerName,
    verificationTxt: txt,
    verified: d.verified !== null,
    verifiedMx: d.verifiedMx,
    forward: d.forward,
    webhook: d.webhook,
    webhookSlack: d.webhookSlack,
    webhookSlackToFrom: d.webhookSlackToFrom,
  };
}
