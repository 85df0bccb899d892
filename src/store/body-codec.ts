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
