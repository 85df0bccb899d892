// A minimal RFC 5322 / MIME message built from Mailsac's SendMessage fields
// (POST /api/outgoing-messages, issue 12). Every header value is checked by
// the caller for CR/LF (no header injection); non-ASCII header text is an
// RFC 2047 encoded-word, bodies are UTF-8 in base64 (RFC 2045 6.8), so no
// line of the result is longer than 78 characters whatever was sent.
import { randomBytes } from 'node:crypto';

export interface ComposeInput {
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  /** Extra header fields, already checked (name, value). */
  headers?: Array<[string, string]>;
  date?: Date;
  /** The domain of the Message-ID. */
  idDomain: string;
}

/** RFC 2047 B-encoding when the text is not plain printable ASCII. */
export function encodeHeaderText(s: string): string {
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  // Whole UTF-8 characters per encoded-word, at most 45 bytes each (RFC 2047 2: words of at most 75 characters).
  const out: string[] = [];
  let part = '';
  for (const ch of s) {
    if (Buffer.byteLength(part + ch, 'utf8') > 45) {
      out.push(part);
      part = '';
    }
    part += ch;
  }
  if (part) out.push(part);
  return out.map((p) => `=?UTF-8?B?${Buffer.from(p, 'utf8').toString('base64')}?=`).join('\r\n ');
}

function base64Body(s: string): string {
  return (Buffer.from(s, 'utf8').toString('base64').match(/.{1,76}/g) ?? ['']).join('\r\n');
}

function part(type: string, body: string): string {
  return `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Body(body)}\r\n`;
}

export function composeMessage(m: ComposeInput): Buffer {
  const head: string[] = [
    `From: ${m.from}`,
    `To: ${m.to.join(',\r\n ')}`,
    `Subject: ${encodeHeaderText(m.subject)}`,
    `Date: ${(m.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${m.idDomain}>`,
    'MIME-Version: 1.0',
    ...(m.headers ?? []).map(([n, v]) => `${n}: ${v}`),
  ];
  let body: string;
  if (m.html !== undefined && m.text !== undefined) {
    const boundary = `=_mailroom_${randomBytes(12).toString('hex')}`;
    head.push(`Content-Type: multipart/alternative; boundary="${boundary}"`);
    body = `--${boundary}\r\n${part('text/plain', m.text)}--${boundary}\r\n${part('text/html', m.html)}--${boundary}--\r\n`;
    return Buffer.from(head.join('\r\n') + '\r\n\r\n' + body, 'utf8');
  }
  const single = part(m.html !== undefined ? 'text/html' : 'text/plain', m.html ?? m.text ?? '');
  return Buffer.from(head.join('\r\n') + '\r\n' + single, 'utf8');
}
