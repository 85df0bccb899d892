// A message's top-level header block read straight from the raw bytes, and
// the header-line splitting mailparser's output goes through too. Its own
// module, apart from parse.ts, because the main thread needs it (/api bodies
// of an unparsed message, push payloads) and parse.ts loads mailparser and
// html-to-text, which only the parse workers need (issue 16: the main
// thread's modules cost RSS; test/main-thread-modules.test.ts keeps them out).
import { TextDecoder } from 'node:util';

export type Header = [name: string, value: string];

/** The fallback header scan reads at most this much of the raw message, and this many lines. */
const MAX_FALLBACK_HEAD = 1024 * 1024;
const MAX_FALLBACK_LINES = 20_000;

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const win1252 = new TextDecoder('windows-1252');

/**
 * mailsplit hands header lines over as binary strings (one char per byte).
 * RFC 6532 allows UTF-8 in headers; anything else 8-bit is legacy mail, most
 * often Windows-1252, so that is the fallback rather than U+FFFD soup.
 */
function binaryToText(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(s)) return s;
  const bytes = Buffer.from(s, 'latin1');
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return win1252.decode(bytes);
  }
}

/** `Name: value` with folding, to [name as written, unfolded value]. RFC 5322 §2.2.3. */
export function splitHeaderLine(line: string): Header {
  const colon = line.indexOf(':');
  const name = colon < 0 ? line : line.slice(0, colon);
  const value = colon < 0 ? '' : line.slice(colon + 1);
  return [
    // obs-header (RFC 5322 §4.5) allows whitespace before the colon.
    binaryToText(name.replace(/[ \t]+$/, '')),
    binaryToText(value.replace(/\r?\n(?=[ \t])/g, '').replace(/\r|\n/g, '').trim()),
  ];
}

/**
 * Reads the top-level header block directly, for messages mailparser gave up
 * on. Bounded in bytes and lines like mailsplit's own limits (bad-inputs 36).
 */
export function rawHeaders(raw: Buffer): Header[] {
  const head = raw.subarray(0, MAX_FALLBACK_HEAD).toString('latin1');
  const blank = /\r?\n\r?\n/.exec(head);
  const block = blank ? head.slice(0, blank.index) : head;
  const lines = block.split(/\r?\n/, MAX_FALLBACK_LINES);
  const out: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1] += '\r\n' + line;
    else if (line.includes(':')) out.push(line);
  }
  return out.map(splitHeaderLine);
}
