// parse.ts writes a raw message into mailparser in 64 KiB pieces (issue 16:
// a body piece of 128 KiB or more cost ~1 ms a string in the base64
// decoder). The pieces must change nothing: the same ParsedMessage as one
// write, whatever lands on a piece's edge (a CRLF, a boundary line, a base64
// quartet, a quoted-printable escape, a UTF-8 sequence, a folded header).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { parseMessage, writing } from '../../src/mail/parse.js';
import type { ParsedMessage } from '../../src/mail/types.js';

const PIECE = writing.piece;
const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

async function bothWays(raw: Buffer): Promise<{ pieces: ParsedMessage; whole: ParsedMessage }> {
  const pieces = await parseMessage(raw);
  writing.piece = Number.MAX_SAFE_INTEGER;
  try {
    return { pieces, whole: await parseMessage(raw) };
  } finally {
    writing.piece = PIECE;
  }
}

/** Deterministic bytes that are not all alike. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** A message whose attachment's base64, text part and HTML part all run past the first 64 KiB, `shift` bytes later each time. */
function message(shift: number): { raw: Buffer; data: Buffer; text: string } {
  const data = bytes(150_000 + shift, shift + 1);
  const b64 = data.toString('base64').replace(/(.{76})/g, '$1\n');
  // é and € as quoted-printable and as raw UTF-8, soft breaks, long enough to cross a piece edge.
  const line = 'caf=C3=A9 =E2=82=AC =\nsoft break, ';
  const qp = 'x'.repeat(shift) + line.repeat(Math.ceil((PIECE + 4000) / line.length));
  const raw = Buffer.from(
    crlf(
      `From: a@b.example\nTo: c@d.example\nSubject: pieces ${shift}\nX-Long: ${'folded\n '.repeat(200)}end\n` +
        'Content-Type: multipart/mixed; boundary="BOUND"\n\n' +
        '--BOUND\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n' +
        qp +
        '\n--BOUND\nContent-Type: text/html; charset=utf-8\n\n<p>caf\u00e9 \u20ac</p>\n' +
        `--BOUND\nContent-Type: application/pdf; name="a.pdf"\nContent-Disposition: attachment; filename="a.pdf"\nContent-Transfer-Encoding: base64\n\n${b64}\n--BOUND--\n`,
    ),
    'utf8',
  );
  const text = ('x'.repeat(shift) + 'caf\u00e9 \u20ac soft break, '.repeat(Math.ceil((PIECE + 4000) / line.length))).trimEnd();
  return { raw, data, text };
}

test('a message up to one piece is written once; larger ones in pieces of 64 KiB', () => {
  assert.is(PIECE, 64 * 1024);
});

for (const shift of [0, 1, 2, 3, 5, 8, 13, 77, 4099]) {
  test(`same ParsedMessage in 64 KiB pieces as in one write, content crossing piece edges (shift ${shift})`, async () => {
    const { raw, data, text } = message(shift);
    assert.ok(raw.length > 2 * PIECE + 1000);
    const { pieces, whole } = await bothWays(raw);
    assert.equal(pieces, whole);
    assert.is(pieces.ok, true);
    assert.is(pieces.attachments.length, 1);
    assert.is(pieces.attachments[0]!.sha256, createHash('sha256').update(data).digest('hex'));
    assert.is(pieces.text.trimEnd(), text);
    // mailparser's HTML for mixed (not alternative) parts: the text part's HTML form (none: skipTextToHtml), <br/>, the HTML part.
    assert.match(pieces.html, /<p>caf\u00e9 \u20ac<\/p>\s*$/);
  });
}

test('an edge between CR and LF, and inside the boundary line, at every offset near 64 KiB', async () => {
  for (let at = PIECE - 12; at <= PIECE + 2; at++) {
    const head = crlf('From: a@b.example\nSubject: edge\nContent-Type: multipart/mixed; boundary="Q"\n\n--Q\nContent-Type: text/plain\n\n');
    const tail = crlf('\n--Q\nContent-Type: text/plain\n\nsecond\n--Q--\n');
    const fill = 'y'.repeat(at - Buffer.byteLength(head));
    const raw = Buffer.from(head + fill + tail);
    const { pieces, whole } = await bothWays(raw);
    assert.equal(pieces, whole, `edge at ${at}`);
    assert.match(pieces.text, /second/);
  }
});

test('a header block past 64 KiB, and the limits, the same in pieces', async () => {
  const big = Buffer.from(crlf(`From: a@b.example\nSubject: big head\n${Array.from({ length: 4000 }, (_, i) => `X-H${i}: ${'v'.repeat(40)}`).join('\n')}\n\nbody\n`));
  assert.ok(big.length > 2 * PIECE);
  const a = await bothWays(big);
  assert.equal(a.pieces, a.whole);
  assert.is(a.pieces.headers.length, 4002);
  const flat = Buffer.from(crlf('From: a@b.example\nSubject: flat\nContent-Type: multipart/mixed; boundary="f"\n\n' + '--f\nContent-Type: text/plain\n\nx\n'.repeat(5000) + '--f--\n'));
  const b = await bothWays(flat);
  assert.equal(b.pieces, b.whole);
  assert.is(b.pieces.ok, false);
});

test.run();
