// What makes one SMTP listener differ from another (issue 12): the MX
// receiver on port 25 and the authenticated Email Capture port share the
// receiver (connection guard, size limit, DATA budget, durable ingest, trace
// header) and differ only in what a role decides: whether AUTH is offered,
// which recipients are taken, and what is stored beside the message.
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import type { IncomingMessage, IncomingRecipient } from '../store/messages.js';
import type { SmtpError } from './smtp-error.js';

export type RecipientVerdict = { ok: true; recipient: IncomingRecipient } | { ok: false; error: SmtpError };

export interface ListenerRole {
  /** 'mx' or 'capture': in logs, stats and health. */
  readonly name: string;
  /** smtp-server options of this role: AUTH, implicit TLS. */
  serverOptions(): Partial<SMTPServerOptions>;
  onAuth?(auth: SMTPServerAuthentication, session: SMTPServerSession): Promise<SMTPServerAuthenticationResponse['user']>;
  /** Checks at MAIL FROM once the shared ones passed (storage, budget, size); a refusal or null. May ask the store (a promise). */
  mailFrom?(session: SMTPServerSession, declaredSize: number): SmtpError | null | Promise<SmtpError | null>;
  /** Whether this recipient is taken, and as which inbox. May ask the store (a promise). */
  recipient(rcpt: string, session: SMTPServerSession): RecipientVerdict | Promise<RecipientVerdict>;
  /** The largest message this session may send (the role may lower smtp.maxMessageSize). */
  maxMessageSize(session: SMTPServerSession): number;
  /** Fields stored with the message beyond what the receiver knows (the capturing account). */
  stamp?(session: SMTPServerSession): Pick<IncomingMessage, 'capturedBy'>;
  /** Told once a message is stored, as `copies` inbox copies (per-account counters); awaited before the 250. */
  stored?(session: SMTPServerSession, bytes: number, copies: number): void | Promise<void>;
  /** Whether the session authenticated: the trace header's ESMTPA (RFC 3848). */
  authenticated(session: SMTPServerSession): boolean;
}
