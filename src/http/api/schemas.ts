// The JSON shapes the API answers with, written once (issue 12: "the OpenAPI
// document's schemas must describe what routes return"). Each shape is an
// OpenAPI 3.0 schema object, and JsonOf<> turns it into the TypeScript type
// the builders in json.ts must return, so a field added to a builder and not
// here (or the other way round) is a type error, and /api/openapi.json
// (openapi.ts) publishes exactly these objects. test/api/api-responses.test.ts
// checks every route's real answer against them, with no extra fields allowed.
//
// Names and types follow Mailsac's description (reference/mailsac-openapi.yml)
// where it has them; Mailroom's own additions say so in their description.

type Desc = { description?: string };
type Prim = { type: 'string' | 'integer' | 'number' | 'boolean'; format?: string; enum?: readonly string[] } & Desc;
type Arr = { type: 'array'; items: Schema } & Desc;
type Obj = { type: 'object'; properties: Record<string, Schema>; required: readonly string[]; additionalProperties?: Schema | boolean } & Desc;
type Ref = { $ref: string } & Desc;
export type Schema = (Prim | Arr | Obj | Ref | { type: 'object'; additionalProperties: Schema } | { oneOf: readonly Schema[] }) & { nullable?: boolean };

/** Type-only marker of an object's optional keys (never present at run time). */
declare const OPTIONAL: unique symbol;

type Base<S> = S extends { type: 'string' }
  ? string
  : S extends { type: 'integer' | 'number' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : S extends { type: 'array'; items: infer I }
        ? JsonOf<I>[]
        : S extends { type: 'object'; properties: infer P; [OPTIONAL]?: infer O }
          ? { [K in Exclude<keyof P, O>]: JsonOf<P[K]> } & { [K in Extract<keyof P, O>]?: JsonOf<P[K]> }
          : unknown;
/** The value a schema describes. */
export type JsonOf<S> = S extends { nullable: true } ? Base<S> | null : Base<S>;

export const str = { type: 'string' } as const;
export const int = { type: 'integer' } as const;
export const num = { type: 'number' } as const;
export const bool = { type: 'boolean' } as const;
export const dateTime = { type: 'string', format: 'date-time' } as const;

export function nullable<S extends object>(s: S): S & { nullable: true } {
  return { ...s, nullable: true as const };
}
export function described<S extends object>(s: S, description: string): S {
  return { ...s, description };
}
export function arr<S extends Schema>(items: S): { type: 'array'; items: S } {
  return { type: 'array', items };
}
/** An object whose keys are all present, except those named in `optional`. */
export function obj<P extends Record<string, Schema>, O extends keyof P & string = never>(
  properties: P,
  optional: readonly O[] = [],
): { type: 'object'; properties: P; required: string[]; [OPTIONAL]?: O } {
  return { type: 'object', properties, required: Object.keys(properties).filter((k) => !(optional as readonly string[]).includes(k)) };
}
export function ref(name: SchemaName): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

const recipient = obj({ address: str, name: str });

export const EmailMessage = obj({
  _id: str,
  from: arr(recipient),
  to: arr(recipient),
  cc: arr(recipient),
  bcc: arr(recipient),
  subject: str,
  savedBy: described(nullable(str), 'The account that starred it, shown to that account, the inbox owner and admins; otherwise null'),
  originalInbox: str,
  inbox: str,
  domain: str,
  received: dateTime,
  size: int,
  attachments: described(arr(str), 'md5 of each attachment'),
  ip: described(str, 'The SMTP client that sent it; "" when privacy.storeSenderIp is off'),
  via: described(str, 'IP address of the Mailroom SMTP listener that received it; "" when privacy.storeSenderIp is off'),
  folder: { type: 'string', enum: ['inbox', 'all', 'spam', 'trash'] } as const,
  labels: arr(str),
  read: described(nullable(bool), 'true once marked read; null when it never was (Mailsac)'),
  rtls: described(bool, 'Received over TLS'),
  links: arr(str),
  spam: num,
  starred: bool,
  parseState: described({ type: 'string', enum: ['pending', 'ok', 'failed'] } as const, 'Mailroom: parsed fields are filled once this is not pending'),
});

export const EmailAddress = obj(
  {
    _id: str,
    owner: described(str, 'Omitted when nobody owns the address'),
    info: str,
    forward: nullable(str),
    enablews: bool,
    webhook: nullable(str),
    webhookSlack: nullable(str),
    webhookSlackToFrom: bool,
    catchAll: described(nullable(str), 'The domain, for a catch-all address'),
    created: dateTime,
    updated: dateTime,
  },
  ['owner', 'created', 'updated'],
);

export const AttachmentMetaItem = obj({
  checksum: str,
  contentDisposition: str,
  contentId: str,
  contentType: str,
  fileName: str,
  length: int,
  transferEncoding: str,
});

export const Domain = obj({
  _id: str,
  created: nullable(dateTime),
  updated: nullable(dateTime),
  enablews: bool,
  hosted: bool,
  isDefault: bool,
  isPrivate: bool,
  lastVerificationErrors: str,
  owner: described(nullable(str), 'The account that owns it; null for the operator\'s domains (config)'),
  verificationTxt: str,
  verified: bool,
  verifiedMx: described(bool, 'The last check saw an MX record naming this Mailroom (smtp.hostname or the public URL\'s host); informational: the TXT record alone decides whether mail is accepted'),
  forward: described(nullable(str), 'Mailroom: every message for the domain is also filed in this inbox of this Mailroom (the settings Mailsac keeps on the catch-all address)'),
  webhook: described(nullable(str), 'Mailroom: every message for the domain is POSTed here'),
  webhookSlack: described(nullable(str), 'Mailroom: every message for the domain is announced to this Slack incoming webhook'),
  webhookSlackToFrom: described(bool, 'Mailroom: the Slack post names To and From'),
});

export const CurrentUserInfo = obj({
  _id: str,
  email: str,
  role: { type: 'string', enum: ['user', 'admin'] } as const,
  created: dateTime,
  lastLogin: nullable(dateTime),
  apiKeyName: str,
  apiAccess: int,
  manyKeys: int,
  privateAddressCredits: described(int, 'Mailroom: 0, addresses are not counted against credits'),
  messageLimit: described(int, 'retention.private.maxMessagesPerAccount; 0 means no limit'),
});

export const CurrentUserStats = obj({
  addresses: arr(str),
  domains: arr(str),
  starredMessages: int,
  storedMessages: int,
  inboxBytes: int,
  lastMonthOps: int,
  defaultDomain: str,
});

const messages = arr(ref('EmailMessage'));

/** Every named shape, as published under components/schemas. */
export const SCHEMAS = {
  Error: obj({ status: int, error: str, message: str }),
  EmailMessage,
  EmailMessageList: messages,
  EmailAddress,
  EmailAddressList: arr(ref('EmailAddress')),
  EmailAddressAvailability: obj({ available: bool, email: str, owned: bool }),
  AttachmentMeta: arr(AttachmentMetaItem),
  Domain,
  DomainsList: arr(ref('Domain')),
  DomainInfo: obj({ domain: ref('Domain'), totalMessages: int, catchAllAddress: described(nullable(EmailAddress), "The catch-all address *@domain of your own domain when it is on; null otherwise (config domains have none)") }),
  DomainSetup: described(
    obj({ domain: ref('Domain'), records: arr(obj({ type: { type: 'string', enum: ['MX', 'TXT'] } as const, name: str, value: str, priority: int })) }),
    'Mailroom: the DNS records to publish for your own domain',
  ),
  CurrentUserInfo,
  CurrentUserStats,
  MessageCount: obj({ count: int, inbox: str }),
  MessageDeleted: obj({ _id: str, inbox: str, message: str }),
  MessageLabels: obj({ _id: str, labels: arr(str) }),
  MessageFolder: obj({ _id: str, folder: str }),
  MessageRead: obj({ _id: str, read: bool }),
  InboxPage: obj({ messages, unread: int, limit: int, skip: int }),
  MessageMatches: obj({ messages }),
  SearchResults: obj({ query: str, messages }),
  AddressReleased: obj({ _id: str, message: str }),
  MessageHeaders: {
    oneOf: [
      described({ type: 'object', additionalProperties: arr(str) } as const, 'messageHeadersFormat=json: lower-cased names, values grouped'),
      described(arr(obj({ name: str, value: str })), 'messageHeadersFormat=json-ordered'),
    ],
  },
  OutgoingMessageResult: described(obj({ _id: str, messages: arr(obj({ _id: str, inbox: str })) }), 'Mailroom: the id of the stored copy for the first recipient, and of each copy'),
  AddressDataDeleted: obj({ address: str, deletedMessages: int, walTruncated: bool }),
  UserDataDeleted: obj({ username: str, deletedMessages: int, deletedAddresses: int, deletedKeys: int, walTruncated: bool }),
  AuditEntries: arr(
    obj({
      id: int,
      at: dateTime,
      actorId: nullable(int),
      actor: str,
      action: str,
      target: str,
      detail: { type: 'object', additionalProperties: true, properties: {}, required: [] },
      ip: str,
    }),
  ),
  WebhookActivity: described(
    arr(obj({ time: dateTime, url: str, status: nullable(int), latencyMs: int, attempt: int, error: nullable(str), messageId: str, deliveryId: int })),
    'Mailroom: webhook and Slack delivery attempts, newest first (issue 11)',
  ),
  WebhookSecret: described(obj({ secret: str }), 'Mailroom: the secret webhooks are signed with'),
} satisfies Record<string, Schema>;

export type SchemaName =
  | 'Error' | 'EmailMessage' | 'EmailMessageList' | 'EmailAddress' | 'EmailAddressList' | 'EmailAddressAvailability'
  | 'AttachmentMeta' | 'Domain' | 'DomainsList' | 'DomainInfo' | 'DomainSetup' | 'CurrentUserInfo' | 'CurrentUserStats' | 'MessageCount'
  | 'MessageDeleted' | 'MessageLabels' | 'MessageFolder' | 'MessageRead' | 'InboxPage' | 'MessageMatches' | 'SearchResults'
  | 'AddressReleased' | 'MessageHeaders' | 'OutgoingMessageResult' | 'AddressDataDeleted' | 'UserDataDeleted' | 'AuditEntries'
  | 'WebhookActivity' | 'WebhookSecret';
