// Raw RFC 5322 bytes to ParsedMessage. Pure apart from CPU: no files, no
// network, no clock except the parse deadline. The caller has already stored
// the raw bytes (GUIDE "Durability"), so a failure here loses nothing: it is
// reported as ok:false and the message is still listed, by receive time.

import { createHash } from 'node:crypto';
import { TextDecoder } from 'node:util';
import { parseAddressHeader } from 'mailparser';
import type { AttachmentStream, HeaderLines, MessageText } from 'mailparser';
import type { MailAddress, ParsedAttachment, ParsedMessage } from './types.js';
import { findUrls } from './text.js';
import { htmlToText, MAX_HTML_TO_TEXT_INPUT } from './html-text.js';
import { rawHeaders, splitHeaderLine, type Header } from './raw-headers.js';
import { LeanMailParser } from './lean-mail-parser.js';

export interface ParseLimits {
  /** Largest header block of one MIME part, bytes (bad-inputs 36). */
  maxHeadSize?: number;
  /** Most MIME parts, nested or flat (bad-inputs 34, 35). */
  maxParts?: number;
  /** HTML longer than this is not converted to text for HTML-only mail (bad-inputs 50). */
  maxHtmlToText?: number;
  /** Parsing that takes longer than this is abandoned with ok:false. */
  timeoutMs?: number;
  /** Most links collected from the bodies. */
  maxLinks?: number;
}

const DEFAULTS: Required<ParseLimits> = {
  maxHeadSize: 1024 * 1024,
  maxParts: 1000,
  maxHtmlToText: MAX_HTML_TO_TEXT_INPUT,
  timeoutMs: 10_000,
  maxLinks: 1000,
};

/** Never parse more than this much HTML looking for links: the regex is linear, but a body can be 30 MB. */
const MAX_LINK_SCAN = 4 * 1024 * 1024;

/**
 * How the raw message is written into the parser. mailsplit passes each
 * written chunk's body lines on as one piece, and the base64 decoder
 * (libbase64) makes a string of each piece, then a second one without the
 * line breaks. On Node 20 a string of 128 KiB or more costs ~1.1 ms to make
 * (Buffer#toString('latin1'): ~90 µs for 131,000 bytes, ~1,150 µs for
 * 131,072 bytes: V8's large-object space starts at 128 KiB), so the bench's 200 KB
 * message, its 190 KB base64 attachment written in one chunk, spent ~3 ms of
 * its ~6 ms parse making two such strings (issue 16). In 64 KiB pieces, the
 * chunk size mailsplit buffers to anyway (ChunkedPassthrough), no piece of a
 * body reaches that size; a message up to 64 KiB is one write, as before.
 * A property only for tests, which compare with one write.
 */
export const writing = { piece: 64 * 1024 };

class ParseFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export async function parseMessage(raw: Buffer, limits?: ParseLimits): Promise<ParsedMessage> {
  const lim = { ...DEFAULTS, ...limits };
  try {
    return await parseFull(raw, lim);
  } catch (err) {
    // Whatever went wrong, the reader still gets a subject and a sender when the
    // header block itself is readable (bad-inputs 34-36: stored and flagged, never dropped).
    return fallback(raw, err instanceof ParseFailure ? err.reason : 'unparseable');
  }
}

interface Collected {
  headerLines: HeaderLines | null;
  text: MessageText | null;
  attachments: Array<{ meta: AttachmentStream; content: Buffer }>;
}

function parseFull(raw: Buffer, lim: Required<ParseLimits>): Promise<ParsedMessage> {
  return new Promise<ParsedMessage>((resolve, reject) => {
    // MailParser minus the header decoding parse.ts does itself (lean-mail-parser.ts).
    const parser = new LeanMailParser({
      maxHeadSize: lim.maxHeadSize,
      maxChildNodes: lim.maxParts,
      // mailparser's html-to-text builds a DOM: 1 MB of nested <blockquote>
      // kept it busy past 30 s (issue 10). html-text.ts does it in one pass.
      skipHtmlToText: true,
      // The web layer renders text itself (text.ts) and maps cid: to its own
      // route (sanitize.ts); mailparser's versions would only cost time.
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
      // Embedded messages stay attachments so they go through the same
      // download and sanitizing rules when opened (bad-inputs 47).
      ignoreEmbedded: true,
      // toAttachment() hashes each attachment (md5 and sha256) itself; a
      // second md5 in mailparser's stream cost ~0.3 ms per 140 KB (issue 16).
      checksumAlgo: false as unknown as string,
    });
    const got: Collected = { headerLines: null, text: null, attachments: [] };
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: unknown, value?: ParsedMessage) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        parser.removeAllListeners('readable');
        // A late 'error' after destroy must not become an uncaught exception.
        parser.on('error', () => {});
        parser.destroy();
        reject(err);
      } else resolve(value!);
    };
    timer = setTimeout(() => finish(new ParseFailure('timed out')), lim.timeoutMs);

    parser.on('error', (err: Error & { code?: string }) => {
      finish(new ParseFailure(err && err.code === 'EMAXLEN' ? 'too complex' : 'unparseable'));
    });
    parser.on('headers', () => {
      got.headerLines = parser.headerLines || null;
    });

    // The same read loop as mailparser's simpleParser: an attachment stream must
    // be drained and released before the parser goes on.
    let reading = false;
    const reader = (): void => {
      if (settled) return;
      reading = true;
      const data = parser.read() as AttachmentStream | MessageText | null;
      if (data === null) {
        reading = false;
        return;
      }
      if (data.type === 'text') {
        got.text = data;
        reader();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      data.content.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
      });
      data.content.on('end', () => {
        got.attachments.push({ meta: data, content: Buffer.concat(chunks, size) });
        data.release?.();
        reader();
      });
    };
    parser.on('readable', () => {
      if (!reading) reader();
    });
    parser.on('end', () => {
      try {
        finish(null, assemble(got, lim));
      } catch (err) {
        finish(err);
      }
    });
    // In pieces, not in one write: see `writing`.
    const piece = writing.piece;
    for (let i = 0; i < raw.length; i += piece) parser.write(raw.subarray(i, i + piece));
    parser.end();
  });
}

function assemble(got: Collected, lim: Required<ParseLimits>): ParsedMessage {
  const headers = (got.headerLines ?? []).map((h) => splitHeaderLine(h.line));
  const html = typeof got.text?.html === 'string' ? got.text.html : '';
  const given = typeof got.text?.text === 'string' ? got.text.text : '';
  // HTML-only mail gets its text form here, once, so /api/text and search
  // read it instead of converting on every request (issue 10).
  const text = given.trim() || !html || html.length > lim.maxHtmlToText ? given : htmlToText(html);
  return {
    ...fromHeaders(headers),
    ok: true,
    error: '',
    text,
    html,
    headers: headers.map(([name, value]) => [name, decodeWords(value)]),
    links: collectLinks(html, text, lim.maxLinks),
    attachments: got.attachments.map(toAttachment),
  };
}

function toAttachment({ meta, content }: { meta: AttachmentStream; content: Buffer }): ParsedAttachment {
  const disposition = (meta.contentDisposition ?? '').toLowerCase();
  return {
    // Kept exactly as the sender wrote it: filename.ts makes it safe at download (bad-inputs 43).
    filename: typeof meta.filename === 'string' ? meta.filename : '',
    contentType: (meta.contentType || 'application/octet-stream').toLowerCase(),
    size: content.length,
    // A lookup key, never a path (bad-inputs 44, MailDev CVE-2024-27448).
    cid: stripAngles(meta.cid ?? meta.contentId ?? ''),
    md5: createHash('md5').update(content).digest('hex'),
    sha256: createHash('sha256').update(content).digest('hex'),
    // A cid part of multipart/related with no disposition is shown in place by
    // every mail client, so it counts as inline too.
    inline: disposition === 'inline' || (!disposition && !!meta.related),
    content,
  };
}

function stripAngles(s: string): string {
  const t = s.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1).trim() : t;
}

// ---------------------------------------------------------------- headers

/**
 * RFC 2047 encoded-words. Adjacent words of one charset are joined before
 * decoding (§6.2 says the whitespace between them is dropped; mailers also
 * split multibyte characters across words). Unknown charsets and UTF-7 are
 * decoded as UTF-8 with U+FFFD, so they can never turn into markup (bad-inputs 40).
 */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  const WORD = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=/g;
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | null = null;
  const flush = () => {
    if (pending) out += decodeBytes(Buffer.concat(pending.bytes), pending.charset);
    pending = null;
  };
  for (const m of value.matchAll(WORD)) {
    const between = value.slice(last, m.index);
    const charset = m[1]!.toLowerCase();
    const bytes = m[2]!.toLowerCase() === 'b' ? Buffer.from(m[3]!, 'base64') : decodeQ(m[3]!);
    const p = pending as { charset: string; bytes: Buffer[] } | null;
    if (p && /^[ \t\r\n]*$/.test(between)) {
      if (p.charset === charset) p.bytes.push(bytes);
      else {
        flush();
        pending = { charset, bytes: [bytes] };
      }
    } else {
      flush();
      out += between;
      pending = { charset, bytes: [bytes] };
    }
    last = m.index! + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

function decodeQ(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '_') bytes.push(0x20);
    else if (c === '=' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes);
}

const decoders = new Map<string, TextDecoder>();
function decodeBytes(bytes: Buffer, charset: string): string {
  let d = decoders.get(charset);
  if (!d) {
    try {
      // WHATWG deliberately has no UTF-7 decoder (it smuggles `+ADw-script+AD4-`).
      d = charset === 'utf-7' ? new TextDecoder('utf-8') : new TextDecoder(charset);
    } catch {
      d = new TextDecoder('utf-8');
    }
    if (decoders.size < 64) decoders.set(charset, d);
  }
  return d.decode(bytes);
}

function first(headers: Header[], lname: string): string | undefined {
  for (const [n, v] of headers) if (n.toLowerCase() === lname) return v;
  return undefined;
}

function all(headers: Header[], lname: string): string[] {
  return headers.filter(([n]) => n.toLowerCase() === lname).map(([, v]) => v);
}

/**
 * The header-derived fields. With two Subject or From headers the first wins
 * (bad-inputs 48), as in mailparser and most clients; both stay in `headers`
 * and in the raw message.
 */
function fromHeaders(headers: Header[]) {
  return {
    subject: decodeWords(first(headers, 'subject') ?? ''),
    from: addresses(first(headers, 'from')),
    to: addresses(all(headers, 'to')),
    cc: addresses(all(headers, 'cc')),
    bcc: addresses(all(headers, 'bcc')),
    replyTo: addresses(first(headers, 'reply-to')),
    date: parseDate(first(headers, 'date')),
    messageId: first(headers, 'message-id') ?? '',
  };
}

function addresses(value: string | string[] | undefined): MailAddress[] {
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const out: MailAddress[] = [];
  for (const v of values) {
    try {
      // ASCII (punycode) domains: an IDN homoglyph shows as xn--, and it is the
      // form the SMTP envelope uses (bad-inputs 29, 57).
      const parsed = parseAddressHeader(v, { flatten: true, decodePunycode: false });
      for (const a of parsed.value) {
        if (a.group) continue;
        out.push({ address: a.address ?? '', name: a.name ?? '' });
      }
    } catch {
      // an unparseable address header yields no addresses; the raw value is in `headers`
    }
  }
  return out;
}

// Year 10000 and friends sort every message wrong; sort by receive time instead (bad-inputs 49).
const MIN_DATE = Date.UTC(1970, 0, 1);
const MAX_DATE = Date.UTC(2200, 0, 1);

/** RFC 5322 §3.3 date, or null when missing, unreadable or absurd. */
export function parseDate(value: string | undefined): number | null {
  if (!value) return null;
  const v = value.replace(/\([^()]*\)/g, ' ').trim();
  if (!v || v.length > 200) return null;
  // RFC 5322 zones are ±HHMM; "+9999" is nonsense that Date.parse would accept.
  const zone = /([+-])(\d{2})(\d{2})$/.exec(v);
  if (zone && (Number(zone[2]) > 14 || Number(zone[3]) > 59)) return null;
  const t = Date.parse(v);
  if (!Number.isFinite(t) || t < MIN_DATE || t >= MAX_DATE) return null;
  return t;
}

// ---------------------------------------------------------------- links

const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|quot|apos|lt|gt|#39));?/g;
const NAMED: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY, (m, dec?: string, hex?: string, name?: string) => {
    if (name) return NAMED[name] ?? m;
    const cp = dec ? Number(dec) : parseInt(hex!, 16);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '\uFFFD';
  });
}

// A scan, not a DOM: the links list is a convenience for the API, and
// parsing HTML properly costs milliseconds per message (GUIDE "Speed").
// Linear on purpose: one regex over the whole body with `<a[^>]*?href`
// backtracks quadratically on `<a <a <a ...` (seconds for 100 KB).
const ANCHOR_START = /<a[\s/]/gi;
const HREF = /[\s/]href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i;
const MAX_TAG = 8192;

function* anchorHrefs(html: string): Generator<string> {
  ANCHOR_START.lastIndex = 0;
  for (;;) {
    const m = ANCHOR_START.exec(html);
    if (!m) return;
    const gt = html.indexOf('>', m.index);
    const end = gt < 0 ? html.length : gt;
    const h = HREF.exec(html.slice(m.index + 2, Math.min(end, m.index + MAX_TAG)));
    if (h) yield h[1] ?? h[2] ?? h[3] ?? '';
    if (gt < 0) return;
    ANCHOR_START.lastIndex = gt + 1;
  }
}

function collectLinks(html: string, text: string, max: number): string[] {
  const seen = new Set<string>();
  const add = (url: string) => {
    if (seen.size < max) seen.add(url);
  };
  if (html) {
    for (const raw of anchorHrefs(html.slice(0, MAX_LINK_SCAN))) {
      const href = decodeEntities(raw.trim());
      // Browsers strip tabs and newlines from URLs (WHATWG URL §4.4).
      const clean = href.replace(/[\t\r\n]/g, '');
      if (/^https?:\/\/[^/?#\s]/i.test(clean)) add(clean);
      if (seen.size >= max) break;
    }
  }
  if (text && seen.size < max) for (const url of findUrls(text.slice(0, MAX_LINK_SCAN), max)) add(url);
  return [...seen];
}

// ---------------------------------------------------------------- fallback

/**
 * What a reader gets of a message whose parse failed or hit a wall: the
 * top-level headers only (bounded scan), flagged with the reason.
 */
export function unparsedMessage(raw: Buffer, reason: string): ParsedMessage {
  return fallback(raw, reason);
}

function fallback(raw: Buffer, reason: string): ParsedMessage {
  let headers: Header[] = [];
  let fields: ReturnType<typeof fromHeaders> | null = null;
  try {
    headers = rawHeaders(raw);
    fields = fromHeaders(headers);
  } catch {
    headers = [];
  }
  return {
    ok: false,
    error: reason,
    subject: fields?.subject ?? '',
    from: fields?.from ?? [],
    to: fields?.to ?? [],
    cc: fields?.cc ?? [],
    bcc: fields?.bcc ?? [],
    replyTo: fields?.replyTo ?? [],
    date: fields?.date ?? null,
    messageId: fields?.messageId ?? '',
    text: '',
    html: '',
    headers: headers.map(([n, v]) => [n, safeDecode(v)]),
    links: [],
    attachments: [],
  };
}

function safeDecode(v: string): string {
  try {
    return decodeWords(v);
  } catch {
    return v;
  }
}
