// POST /api/outgoing-messages (Mailsac's SendMessage), issue 12: Mailroom
// never sends mail out. A message to this Mailroom's own domains is stored as
// received mail, through the same durable ingest path SMTP uses (the writer
// thread), so an example that "sends through the API and reads it back" has
// something to read. Any other recipient is refused with a 400 that says so,
// and nothing is stored.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import type { AppEnv } from '../deps.js';
import { canonicalAddress } from '../../policy/address.js';
import type { IncomingRecipient } from '../../store/messages.js';
import { composeMessage } from '../../mail/compose.js';
import type { Principal } from '../middleware/principal.js';
import type { ApiKit } from './kit.js';
import { apiError } from './errors.js';
import { receivedHeader } from '../../smtp/trace.js';
import { clientIp } from '../middleware/client-ip.js';

type C = Context<AppEnv>;

const MAX_RECIPIENTS = 50;
const MAX_HEADER_TEXT = 900;
const MAX_BODY_CHARS = 200 * 1024;

function stringList(v: unknown): string[] | null {
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((s) => s.trim()).filter(Boolean);
  return null;
}

/** Header text a client sent: no CR, LF or other control characters (no header injection). */
function headerText(v: unknown, max = MAX_HEADER_TEXT): string | null {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string' || v.length > max || /[\u0000-\u001f\u007f]/.test(v)) return null;
  return v;
}

export function registerOutgoingRoutes(kit: ApiKit): void {
  const { reg, deps, config, needUser, principal, bodyOf } = kit;
  reg.route(
    'post',
    '/outgoing-messages',
    {
      operationId: 'SendMessage',
      summary: "Deliver a message to this Mailroom's own domains (it never sends mail out)",
      description:
        'The message is stored for each recipient as if it had arrived over SMTP and is read back like any other. ' +
        'Every recipient must be at a domain this Mailroom receives mail for; otherwise nothing is stored and the answer is 400. ' +
        'raw (a whole RFC 5322 message) overrides the other fields, as on Mailsac. Attachments: send them inside raw.',
      tags: ['Sending'],
      auth: 'key',
      body: {
        to: { type: 'string', description: 'Recipient address, or a list (array or comma-separated)' },
        from: { type: 'string', description: 'From address' },
        subject: { type: 'string' },
        text: { type: 'string', description: 'Plain text body' },
        html: { type: 'string', description: 'HTML body' },
        raw: { type: 'string', description: 'A whole RFC 5322 message; overrides from, subject, text and html' },
      },
      responses: { 200: 'Stored', 400: 'A recipient outside this Mailroom, or a bad field', 401: 'No key', 503: 'Storing is not available' },
      returns: 'OutgoingMessageResult',
    },
    async (c: C) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps) as Extract<Principal, { kind: 'user' }>;
      const b = bodyOf(c);
      const to = stringList(b.to);
      if (!to || to.length === 0) return apiError(c, 400, 'to is required: an address or a list of addresses');
      if (to.length > MAX_RECIPIENTS) return apiError(c, 400, `At most ${MAX_RECIPIENTS} recipients`);
      const recipients: IncomingRecipient[] = [];
      for (const addr of to) {
        const a = canonicalAddress(addr);
        if (!a) return apiError(c, 400, `Not an email address: ${addr.slice(0, 100)}`);
        // This Mailroom's own: the operator's domains and those accounts verified (issue 12).
        if (!config.domains.includes(a.domain) && (await kit.store.data.domains.verifiedOwner(a.domain)) === null) {
          return apiError(c, 400, `Mailroom does not send mail out: ${addr.slice(0, 100)} is not at a domain this Mailroom receives mail for (${config.domains.join(', ')})`);
        }
        if (!recipients.some((r) => r.inbox === a.inbox)) recipients.push({ inbox: a.inbox, original: addr, domain: a.domain });
      }
      const ingest = deps.ingest;
      if (!ingest) return c.json({ status: 503, error: 'Service Unavailable', message: 'Storing mail is not available here' }, 503);

      let raw: Buffer;
      if (b.raw !== undefined && b.raw !== null && b.raw !== '') {
        if (typeof b.raw !== 'string') return apiError(c, 400, 'raw must be a string');
        // The account answers for it here too: its name goes on top, as a trace field would.
        raw = Buffer.from(`X-Mailroom-Sent-By-Account: ${p.user.username}\r\n` + b.raw.replace(/\r?\n/g, '\r\n'), 'utf8');
      } else {
        const from = headerText(b.from);
        const subject = headerText(b.subject);
        if (from === null || subject === null) return apiError(c, 400, `from and subject must be single-line text of at most ${MAX_HEADER_TEXT} characters`);
        const text = b.text === undefined || b.text === null ? undefined : b.text;
        const html = b.html === undefined || b.html === null ? undefined : b.html;
        if ((text !== undefined && typeof text !== 'string') || (html !== undefined && typeof html !== 'string')) return apiError(c, 400, 'text and html must be strings');
        if ((text?.length ?? 0) + (html?.length ?? 0) > MAX_BODY_CHARS) return apiError(c, 400, 'The body is too large for the API; send it over SMTP');
        if (Array.isArray(b.attachments) && b.attachments.length > 0) return apiError(c, 400, 'attachments are not taken here: send a whole message in raw, or send it over SMTP');
        raw = composeMessage({
          from: from || p.user.username,
          to,
          subject,
          text,
          html,
          idDomain: config.domains[0] ?? 'mailroom.invalid',
          // Who put it here: the message did not come from an SMTP client, so the account answers for it.
          headers: [['X-Mailroom-Sent-By-Account', p.user.username]],
        });
      }
      // RFC 5321 §4.4: every stored message gets the trace field of the hop
      // that put it here, from SMTP or not (issue 12). Here the hop is HTTP,
      // written as webmail systems write it ("with HTTP"); the client's
      // address only where privacy.storeSenderIp keeps addresses, otherwise
      // no from clause at all, as the SMTP listeners do.
      const received = Date.now();
      const trace = receivedHeader({
        helo: '',
        ip: config.privacy.storeSenderIp ? clientIp(c, config.http.trustedProxies) : '',
        by: config.smtp.hostname || os.hostname(),
        tlsVersion: '',
        cipher: '',
        authenticated: true,
        recipients: recipients.map((r) => r.original),
        id: randomBytes(6).toString('hex'),
        date: new Date(received),
        protocol: new URL(c.req.url).protocol === 'https:' ? 'HTTPS' : 'HTTP',
      });
      raw = Buffer.concat([Buffer.from(trace, 'latin1'), raw]);
      const ids = await ingest({
        raw,
        mailFrom: headerText(b.from) || p.user.username,
        recipients,
        ip: '',
        helo: '',
        tls: false,
        received,
      });
      return c.json({ _id: ids.messageIds[0] ?? '', messages: ids.messageIds.map((id, i) => ({ _id: id, inbox: recipients[i]?.inbox ?? '' })) });
    },
  );
}
