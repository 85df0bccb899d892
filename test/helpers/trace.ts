// The Received: field Mailroom prepends to every stored message (RFC 5321
// §4.4, issue 12). Tests that check stored bytes are byte-exact split it off
// here, after checking its shape, and compare the rest with what was sent:
// the message itself must still be stored exactly as received.
import * as assert from 'uvu/assert';

export interface SplitTrace {
  /** The whole field, folded lines and final CRLF included. */
  field: string;
  /** The field unfolded to one line, without "Received: ". */
  value: string;
  /** The stored bytes after our field: what the client sent. */
  rest: Buffer;
}

/** Splits our leading Received: field off stored raw bytes; fails the test if it is not there or not well formed. */
export function splitTrace(raw: Buffer | null | undefined): SplitTrace {
  assert.ok(raw, 'raw bytes stored');
  const text = raw!.toString('latin1');
  assert.ok(text.startsWith('Received: '), `stored raw starts with our Received: field (got ${JSON.stringify(text.slice(0, 40))})`);
  // The field ends after its date (RFC 5321 §4.4: the date comes last). Not at
  // the first CRLF without folding whitespace after it: a message that itself
  // starts with a space or tab would read as a continuation of our field.
  const end = /; (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/.exec(text);
  assert.ok(end, 'the Received: field ends with its date and CRLF');
  const fieldEnd = end!.index + end![0].length;
  const field = text.slice(0, fieldEnd);
  const value = field.slice('Received: '.length).replace(/\r\n[ \t]+/g, ' ').trim();
  // RFC 5321 §4.4: by-domain, with-protocol, id, and a date after ';'.
  assert.match(value, /(^| )by \S+ with ESMTPS?A? .*id \S+.*; (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/, `Received value: ${value}`);
  return { field, value, rest: raw!.subarray(Buffer.byteLength(field, 'latin1')) };
}

/** The stored bytes without our trace field, as a latin1 string (the form durability tests compare). */
export function sentPart(raw: Buffer | null | undefined): string {
  return splitTrace(raw).rest.toString('latin1');
}
