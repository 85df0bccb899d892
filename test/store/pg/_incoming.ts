// Received messages for the PostgreSQL store's tests, as the SMTP receiver hands them over.
import type { IncomingMessage } from '../../../src/store/messages.js';
import { simpleMessage } from '../../helpers/raw-smtp.js';

export function incoming(opts: { to?: string[]; subject?: string; body?: string; from?: string; mailFrom?: string; raw?: Buffer } = {}): IncomingMessage {
  const to = opts.to ?? ['reader@mailroom.test'];
  const raw = opts.raw ?? Buffer.from(simpleMessage({ to: to.join(', '), subject: opts.subject ?? 'hello', body: opts.body, from: opts.from }));
  return {
    raw,
    mailFrom: opts.mailFrom ?? 'sender@example.org',
    recipients: to.map((a) => ({ inbox: a.toLowerCase(), original: a, domain: a.split('@')[1]!.toLowerCase() })),
    ip: '127.0.0.1',
    helo: 'test.example',
    tls: false,
    received: Date.now(),
  };
}
