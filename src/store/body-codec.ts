// The stored form of a parsed body: text, HTML and headers as one deflated
// JSON document. Deflate (not brotli) because it is fast enough to run in the
// parse worker for every message and inflating on read costs microseconds.
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { ParsedMessage } from '../mail/types.js';

export interface StoredBody {
  text: string;
  html: string;
  headers: Array<[string, string]>;
}

/**
 * Issue 16 (stored bytes ≤ raw bytes): text, HTML and headers are derived
 * from the raw message, which is stored too, so most of their bytes are
 * already in the database. A body document is therefore deflated with the
 * start of the raw message as deflate's preset dictionary (RFC 1950's FDICT,
 * zlib's `dictionary`): every run of text the parts share with the raw
 * source costs a back-reference instead of its bytes. On the bench's mail the
 * body documents went from 20.1 MB to 4.9 MB for 10,000 messages. Deflate
 * looks back 32 KiB at most, so that is the dictionary: the raw message's
 * first 32 KiB (headers and the text parts, in almost all mail; an
 * attachment at the end would be no use as a dictionary anyway).
 */
export const BODY_DICTIONARY_BYTES = 32 * 1024;

/**
 * The first byte of a body document deflated against the raw message. A raw
 * deflate stream never starts with it: its low three bits would read as a
 * block of type 3, which RFC 1951 reserves ("error"), so documents stored
 * before (plain raw deflate) and after are told apart by their bytes alone,
 * with no schema change and the same rule in SQLite and PostgreSQL.
 */
const WITH_RAW_DICTIONARY = 0x07;

/** The dictionary of a message's body document: its raw source's first BODY_DICTIONARY_BYTES. */
export function bodyDictionary(raw: Buffer): Buffer {
  return raw.subarray(0, BODY_DICTIONARY_BYTES);
}

/**
 * The body document, deflated against the raw message when it is given (the
 * parse worker and applyParse always give it), else plain (kept for callers
 * that have no raw bytes, and for tests of the old form).
 */
export function encodeBody(p: Pick<ParsedMessage, 'text' | 'html' | 'headers'>, raw?: Buffer): Buffer {
  const json = JSON.stringify({ text: p.text, html: p.html, headers: p.headers });
  if (!raw) return deflateRawSync(json, { level: 6 });
  const z = deflateRawSync(json, { level: 6, dictionary: bodyDictionary(raw) });
  return Buffer.concat([Buffer.of(WITH_RAW_DICTIONARY), z]);
}

/** Whether this stored document needs the raw message's dictionary to decode. */
export function needsRawDictionary(z: Buffer | Uint8Array): boolean {
  return z.length > 0 && z[0] === WITH_RAW_DICTIONARY;
}

/**
 * Decodes a stored body document. `dictionary`: the raw message's first
 * BODY_DICTIONARY_BYTES (rawHead), asked for only when the document needs it.
 */
export function decodeBody(z: Buffer, dictionary?: () => Buffer): StoredBody {
  if (!needsRawDictionary(z)) return JSON.parse(inflateRawSync(z).toString('utf8')) as StoredBody;
  const dict = dictionary?.();
  if (!dict) throw new Error('this body document is deflated against its raw message, which was not given');
  return JSON.parse(inflateRawSync(z.subarray(1), { dictionary: dict }).toString('utf8')) as StoredBody;
}

/**
 * The first `n` bytes of a raw message from a prefix of its stored form
 * (`stored` may be cut short: SQL substr), inflating no more than it needs:
 * a body's dictionary without inflating a 25 MB message. A cut deflate
 * stream decodes to a prefix of its output (Z_SYNC_FLUSH instead of an
 * "unexpected end" error); the prefix taken doubles until it yields n bytes.
 */
export function rawHead(stored: Buffer, encoding: string, n = BODY_DICTIONARY_BYTES): Buffer {
  if (encoding !== 'deflate') return stored.subarray(0, n);
  for (let take = n + 1024; ; take *= 2) {
    const out = inflateRawSync(stored.subarray(0, Math.min(take, stored.length)), { finishFlush: constants.Z_SYNC_FLUSH });
    if (out.length >= n || take >= stored.length) return out.subarray(0, n);
  }
}

/**
 * How much of a stored raw column to read for rawHead: deflate never makes a
 * block larger than the stored block it could have used (5 bytes per 64 KiB
 * more), so a prefix of this many stored bytes always holds the first
 * BODY_DICTIONARY_BYTES of the message, even where a block's start compresses
 * worse than its whole.
 */
export const RAW_HEAD_STORED_BYTES = 256 * 1024;

// Raw source is stored deflated too, so the database is no larger than the
// mail it holds (issue 7), at level 6 (issue 16: on the bench's mail level 6
// stores 25.7 MB where level 1 stores 30.7 MB, and levels 7-9 gain nothing
// more). A message up to RAW_DEFLATE_INLINE_MAX is deflated so before its 250,
// by the writer thread, and kept in that form (run Q: until then it was
// deflated at level 1 there and again at level 6 by the parse worker, which
// replaced the bytes; for a 5 KB message both levels take ~60-80 µs, so the
// second deflate and the rewrite of the raw column were pure cost). A larger
// one (~8 ms of deflate for 200 KB with a base64 attachment, ~2 ms since run R:
// deflateRawMixed below) is stored as
// received and deflated by the parse worker after its 250. Tried in run Q and
// dropped: storing a small message as received until the parse worker's
// deflate (its rows shrink after later rows were appended behind them: the
// contents pages were left 59% empty, 1.61 × raw in use instead of 0.92), and
// a level-6 deflate on the main thread's libuv pool (zlib's asynchronous
// one-shot costs ~470-530 µs of CPU in all for a 5 KB message, against
// ~70 µs synchronously).
const COMPRESS_MIN = 512;
/** Raw messages up to this size are compressed before the 250 (SQLite: at RAW_DEFLATE_STORED_LEVEL; PostgreSQL: level 1); larger ones afterwards, in the parse worker. */
export const RAW_DEFLATE_INLINE_MAX = 16 * 1024;
/**
 * Whether a raw message of this size is compressed before its 250 (SQLite:
 * at RAW_DEFLATE_STORED_LEVEL, the form it keeps): the writer stores it so
 * and then tells the parse worker not to deflate it again. One rule for both.
 */
export function deflatedBeforeAck(bytes: number): boolean {
  return bytes <= RAW_DEFLATE_INLINE_MAX;
}
/** Level of the parse worker's deflate, the form the raw bytes keep. */
export const RAW_DEFLATE_STORED_LEVEL = 6;

export function encodeRaw(raw: Buffer, level = 1): { data: Buffer; encoding: 'identity' | 'deflate' } {
  if (raw.length >= COMPRESS_MIN) {
    const z = deflateRawMixed(raw, level);
    if (z.length < raw.length * 0.9) return { data: z, encoding: 'deflate' };
  }
  return { data: raw, encoding: 'identity' };
}

/**
 * Issue 16 (parse worker CPU): base64 (an attachment, most of a large
 * message's bytes) is close to noise for deflate's string matcher, which
 * still looks for matches at every position: the bench's 200 KB message
 * (a 190 KB base64 PDF) took ~4.8 ms to deflate at level 6 and ~4.9 ms at
 * level 1, 148.8 KB either way, where Huffman coding alone (Z_HUFFMAN_ONLY,
 * the 6 bits a character of base64 carries) takes ~0.9 ms for 152.1 KB. So a
 * message is deflated in runs: runs of RAW_RUN bytes that are base64 text
 * only are Huffman-coded (unless samples say deflate would gain on them:
 * matchesPay), the rest deflated at `level` with the 32 KiB
 * before them as preset dictionary. Each run but the last ends with a sync
 * flush (an empty stored block, byte-aligned) and no final block, so the
 * runs' outputs laid end to end are one ordinary raw deflate stream that
 * inflateRaw reads as before, and a back-reference of a later run into an
 * earlier one is one the decoder's window holds. Mail with no such run (all
 * text, or up to RAW_RUN bytes) is one deflate, byte for byte what it was.
 */
const RAW_RUN = 16 * 1024;
/** Bytes of base64 text: the alphabet, padding and line breaks. */
const BASE64_TEXT = /[^A-Za-z0-9+/=\r\n]/;

/**
 * Whether deflate's matcher would gain on this base64 run after all: the
 * base64 of something compressible (a text file, a CSV, an uncompressed or
 * blank image: bad-input 46's 30 MB PNG of one byte stored ~0.1 MB at level 6
 * and would be ~30 MB as Huffman codes). Three 4 KiB samples at level 1
 * against Huffman coding, ~0.1 ms; a PDF's, a JPEG's or a ZIP's base64 gains
 * nothing (within 1%).
 */
const SAMPLE = 4 * 1024;
function matchesPay(run: Buffer): boolean {
  const at = [0, (run.length - SAMPLE) >> 1, run.length - SAMPLE].filter((a, i, all) => a >= 0 && all.indexOf(a) === i);
  const samples = at.length ? at.map((a) => run.subarray(a, a + SAMPLE)) : [run];
  let matched = 0;
  let huffman = 0;
  for (const sample of samples) {
    matched += deflateRawSync(sample, { level: 1 }).length;
    huffman += deflateRawSync(sample, { strategy: constants.Z_HUFFMAN_ONLY }).length;
  }
  return matched < huffman * 0.95;
}

function deflateRawMixed(raw: Buffer, level: number): Buffer {
  if (raw.length <= RAW_RUN) return deflateRawSync(raw, { level });
  // Runs as [start, isBase64], adjacent blocks of one kind merged.
  const runs: Array<[number, boolean]> = [];
  for (let at = 0; at < raw.length; at += RAW_RUN) {
    // latin1: one character per byte; a 16 KiB string is cheap (see parse.ts `writing` for large ones).
    const b64 = !BASE64_TEXT.test(raw.toString('latin1', at, Math.min(at + RAW_RUN, raw.length)));
    if (!runs.length || runs[runs.length - 1]![1] !== b64) runs.push([at, b64]);
  }
  if (!runs.some(([, b64]) => b64)) return deflateRawSync(raw, { level });
  const out: Buffer[] = [];
  for (let i = 0; i < runs.length; i++) {
    const [start, b64] = runs[i]!;
    const end = i + 1 < runs.length ? runs[i + 1]![0] : raw.length;
    const last = end === raw.length;
    const finishFlush = last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH;
    const input = raw.subarray(start, end);
    if (b64 && !matchesPay(input)) out.push(deflateRawSync(input, { level, strategy: constants.Z_HUFFMAN_ONLY, finishFlush }));
    else if (start === 0) out.push(deflateRawSync(input, { level, finishFlush }));
    else out.push(deflateRawSync(input, { level, finishFlush, dictionary: raw.subarray(Math.max(0, start - BODY_DICTIONARY_BYTES), start) }));
  }
  return Buffer.concat(out);
}
