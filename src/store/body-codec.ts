// The stored form of a parsed body: text, HTML and headers as one deflated
// JSON document. Deflate (not brotli) because it is fast enough to run in the
// parse worker for every message and inflating on read costs microseconds.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { ParsedMessage } from '../mail/types.js';

export interface StoredBody {
  text: string;
  html: string;
  headers: Array<[string, string]>;
}

export function encodeBody(p: Pick<ParsedMessage, 'text' | 'html' | 'headers'>): Buffer {
  return deflateRawSync(JSON.stringify({ text: p.text, html: p.html, headers: p.headers }), { level: 6 });
}

export function decodeBody(z: Buffer): StoredBody {
  return JSON.parse(inflateRawSync(z).toString('utf8')) as StoredBody;
}

// Raw source is stored deflated too, so the database is no larger than the
// mail it holds (issue 7). Level 1: tens of microseconds for a 5 KB message,
// but ~8 ms for 200 KB with a base64 attachment (issue 16), which is why
// large messages are compressed by the parse worker after the 250 instead of
// by the writer thread before it (RAW_DEFLATE_INLINE_MAX).
const COMPRESS_MIN = 512;
/** Raw messages up to this size are compressed before the 250; larger ones afterwards, in the parse worker. */
export const RAW_DEFLATE_INLINE_MAX = 16 * 1024;

export function encodeRaw(raw: Buffer): { data: Buffer; encoding: 'identity' | 'deflate' } {
  if (raw.length >= COMPRESS_MIN) {
    const z = deflateRawSync(raw, { level: 1 });
    if (z.length < raw.length * 0.9) return { data: z, encoding: 'deflate' };
  }
  return { data: raw, encoding: 'identity' };
}
