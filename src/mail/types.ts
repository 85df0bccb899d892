// The parsed form of a message, as the store keeps it beside the raw bytes.
// Everything here comes from a stranger: treat every string as hostile text.

/** One address as Mailsac's EmailMessage shows it: `{ address, name }`. */
export interface MailAddress {
  address: string;
  name: string;
}

/** One attachment of a parsed message. `content` is the decoded bytes. */
export interface ParsedAttachment {
  filename: string;
  contentType: string;
  size: number;
  /** Content-ID without the angle brackets, or '' when absent. Only ever a lookup key. */
  cid: string;
  /** hex md5 of the content: Mailsac addresses attachments by it. */
  md5: string;
  /** hex sha256 of the content: the deduplication key in the store. */
  sha256: string;
  /** True when Content-Disposition is inline (typically a cid image). */
  inline: boolean;
  content: Buffer;
}

export interface ParsedMessage {
  /** false when mailparser failed or a limit was hit; the raw message is still kept. */
  ok: boolean;
  /** Why parsing failed or was cut short; '' when ok. Never shown with internals. */
  error: string;
  subject: string;
  from: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  /** Bcc header if the message carries one (rare in received mail). */
  bcc: MailAddress[];
  replyTo: MailAddress[];
  /** The Date: header as epoch ms, or null when missing or absurd. */
  date: number | null;
  messageId: string;
  /** Plain text body ('' when none). */
  text: string;
  /** The original HTML body ('' when none). Unsanitized: never render it directly. */
  html: string;
  /** Headers in the order they appear, names as written, values unfolded and decoded where safe. */
  headers: Array<[name: string, value: string]>;
  /** http(s) links found in the HTML and text bodies, deduplicated, in order of appearance. */
  links: string[];
  attachments: ParsedAttachment[];
}
