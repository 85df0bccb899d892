// Realistic MIME messages for the bench: what a transactional sender or a
// newsletter produces (trace and DKIM headers, multipart/alternative with a
// text and an HTML part, an attachment on the large one), built from a
// vocabulary with a Zipf word frequency so full-text search has common and
// rare words to look for. Everything is deterministic given the seed.
import { createHash } from 'node:crypto';
import { rng, zipf } from './stats.js';

const COMMON = (
  'the of and to a in is you that it for on your with this be are as at we have from or by not will can an all our ' +
  'please account order payment invoice receipt shipping delivery password reset confirm security alert update team ' +
  'support customer service report weekly monthly newsletter meeting schedule project review request approved ' +
  'pending subscription renewal trial welcome verify email address login device code sign notification summary ' +
  'details total amount due date number reference ticket issue status build release deploy failed passed test ' +
  'server database backup storage quota limit usage billing plan upgrade download attachment document file share ' +
  'calendar invite event reminder tomorrow today week month year price offer discount sale product item cart'
).split(' ');
const SYLLABLES = 'ka ro mi te su na lo pe vi da ze fu ri bo sa ne ki mu la to gi ha yo ce'.split(' ');

/** The words messages are made of: common English first, then a long tail of made-up words. */
export function vocabulary(size = 4000, seed = 7): string[] {
  const random = rng(seed);
  const words = [...COMMON];
  const seen = new Set(words);
  while (words.length < size) {
    const n = 2 + Math.floor(random() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

export interface Person {
  name: string;
  address: string;
}

export interface Attachment {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface MessageSpec {
  from: Person;
  to: Person;
  subject: string;
  date: Date;
  messageId: string;
  paragraphs: string[];
  links: string[];
  attachment?: Attachment;
}

export interface BuiltMessage {
  raw: Buffer;
  text: string;
  html: string;
  headers: Array<[string, string]>;
}

/** Wraps text at `width` columns on word boundaries (RFC 5322 §2.1.1 asks for lines under 78). */
function wrap(s: string, width = 72): string {
  const out: string[] = [];
  let line = '';
  for (const w of s.split(' ')) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out.join('\r\n');
}

function base64Lines(data: Buffer): string {
  const b = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 76) lines.push(b.slice(i, i + 76));
  return lines.join('\r\n');
}

const HTML_HEAD =
  '<!DOCTYPE html>\r\n<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">\r\n' +
  '<style>body{font-family:Helvetica,Arial,sans-serif;color:#222;background:#f4f4f7}.wrap{max-width:600px;margin:0 auto;' +
  'background:#fff;padding:24px}a.btn{display:inline-block;padding:10px 18px;background:#3869d4;color:#fff;' +
  'border-radius:3px;text-decoration:none}.foot{font-size:12px;color:#888}</style></head>\r\n' +
  '<body><table class="wrap" role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td>\r\n';

/** The text and HTML of a message, as the parser returns them and as the MIME parts carry them. */
export interface BodyParts {
  text: string;
  html: string;
  textPart: string;
  htmlPart: string;
}

export function bodyParts(paragraphs: string[], links: string[]): BodyParts {
  const text = paragraphs.join('\n\n') + '\n\n' + links.map((l) => `Open: ${l}`).join('\n') + '\n';
  const html =
    HTML_HEAD +
    paragraphs.map((p) => `<p style="margin:0 0 12px 0;line-height:1.5">${wrap(p, 70)}</p>`).join('\r\n') +
    '\r\n' +
    links.map((l) => `<p><a class="btn" href="${l}" target="_blank">Open in browser</a></p>`).join('\r\n') +
    '\r\n<p class="foot">You receive this because you have an account with us. ' +
    '<a href="https://mail.example.com/unsubscribe">Unsubscribe</a></p>\r\n</td></tr></table></body></html>';
  const textPart = paragraphs.map((p) => wrap(p)).join('\r\n\r\n') + '\r\n\r\n' + links.map((l) => `Open: ${l}`).join('\r\n');
  return { text, html, textPart, htmlPart: html };
}

/** Builds the raw message; `parts` lets a caller reuse bodies it already rendered. */
export function buildMessage(spec: MessageSpec, parts: BodyParts = bodyParts(spec.paragraphs, spec.links)): BuiltMessage {
  const { text, html } = parts;
  const h = createHash('sha256').update(spec.messageId).digest('base64');
  const headers: Array<[string, string]> = [
    ['Received', `from mta-07.mail.example.com (mta-07.mail.example.com [198.51.100.7]) by mx.mailroom.test with ESMTPS id ${h.slice(0, 12)}; ${spec.date.toUTCString()}`],
    ['Received', `from app-3.internal (app-3.internal [10.1.2.3]) by mta-07.mail.example.com with ESMTP id ${h.slice(12, 24)}; ${spec.date.toUTCString()}`],
    [
      'DKIM-Signature',
      `v=1; a=rsa-sha256; c=relaxed/relaxed; d=mail.example.com; s=s1; t=${Math.floor(spec.date.getTime() / 1000)}; ` +
        `h=from:to:subject:date:message-id:mime-version:content-type; bh=${h}; b=${createHash('sha512').update(h).digest('base64').repeat(3)}`,
    ],
    ['From', `"${spec.from.name}" <${spec.from.address}>`],
    ['To', `"${spec.to.name}" <${spec.to.address}>`],
    ['Subject', spec.subject],
    ['Date', spec.date.toUTCString()],
    ['Message-ID', `<${spec.messageId}>`],
    ['MIME-Version', '1.0'],
    ['List-Unsubscribe', '<https://mail.example.com/unsubscribe>, <mailto:unsubscribe@mail.example.com>'],
  ];
  const alt = `alt_${h.slice(0, 16).replace(/[^A-Za-z0-9]/g, 'x')}`;
  const mixed = `mix_${h.slice(16, 32).replace(/[^A-Za-z0-9]/g, 'x')}`;
  const altBody = [
    `--${alt}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    parts.textPart,
    `--${alt}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    parts.htmlPart,
    `--${alt}--`,
    '',
  ].join('\r\n');
  let head: string;
  let body: string;
  if (spec.attachment) {
    head = `Content-Type: multipart/mixed; boundary="${mixed}"`;
    body = [
      `--${mixed}`,
      `Content-Type: multipart/alternative; boundary="${alt}"`,
      '',
      altBody,
      `--${mixed}`,
      `Content-Type: ${spec.attachment.contentType}; name="${spec.attachment.filename}"`,
      `Content-Disposition: attachment; filename="${spec.attachment.filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(spec.attachment.data),
      `--${mixed}--`,
      '',
    ].join('\r\n');
  } else {
    head = `Content-Type: multipart/alternative; boundary="${alt}"`;
    body = altBody;
  }
  const headerText = headers.map(([k, v]) => `${k}: ${v}`).join('\r\n');
  const raw = Buffer.from(`${headerText}\r\n${head}\r\n\r\n${body}`, 'utf8');
  headers.push(['Content-Type', head.slice('Content-Type: '.length)]);
  return { raw, text, html, headers };
}

/** Writes paragraphs of words drawn with a Zipf frequency until about `chars` characters. */
export class TextMaker {
  private readonly pick: () => number;
  constructor(readonly words: string[], readonly random: () => number) {
    this.pick = zipf(words.length, 1.05, random);
  }

  word(): string {
    return this.words[this.pick()];
  }

  sentence(): string {
    const n = 6 + Math.floor(this.random() * 14);
    let s = '';
    for (let i = 0; i < n; i++) s += (i ? ' ' : '') + this.word();
    return s[0].toUpperCase() + s.slice(1) + '.';
  }

  paragraphs(chars: number): string[] {
    const out: string[] = [];
    let total = 0;
    while (total < chars) {
      let p = '';
      const n = 2 + Math.floor(this.random() * 4);
      for (let i = 0; i < n; i++) p += (i ? ' ' : '') + this.sentence();
      out.push(p);
      total += p.length + 2;
    }
    return out;
  }
}

/** Bytes that look like a compressed PDF: a text header, then incompressible data. */
export function pdfLike(size: number, random: () => number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((random() * 0x100000000) >>> 0, Math.min(i, size - 4));
  Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1').copy(b);
  return b;
}

export type BenchSize = '5KB' | '200KB';

/**
 * Distinct messages of about the given size for the ingest bench: 5 KB is a
 * text+HTML notification, 200 KB the same with a ~140 KB PDF attachment.
 */
export function benchMessages(size: BenchSize, count: number, domain = 'mailroom.test', seed = 1): Buffer[] {
  const random = rng(seed);
  const maker = new TextMaker(vocabulary(), random);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const spec: MessageSpec = {
      from: { name: 'Example Notifications', address: 'notify@mail.example.com' },
      to: { name: 'Bench Reader', address: `reader${i}@${domain}` },
      subject: `${maker.sentence().slice(0, 60)} #${i}`,
      date: new Date(Date.UTC(2025, 0, 1) + i * 60_000),
      messageId: `bench.${seed}.${i}.${Math.floor(random() * 1e9)}@mail.example.com`,
      paragraphs: maker.paragraphs(size === '5KB' ? 1150 : 2600),
      links: [`https://mail.example.com/t/${i}/${Math.floor(random() * 1e9)}`],
      attachment:
        size === '200KB'
          ? { filename: `invoice-${i}.pdf`, contentType: 'application/pdf', data: pdfLike(140_000, random) }
          : undefined,
    };
    out.push(buildMessage(spec).raw);
  }
  return out;
}
