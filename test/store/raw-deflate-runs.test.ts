// encodeRaw deflates base64 runs of a large message with Huffman coding only
// and the rest at the level asked for, as one raw deflate stream (issue 16:
// ~4.8 ms -> ~2 ms of parse-worker CPU for the bench's 200 KB message). What
// is stored must read back byte for byte with a plain inflateRaw, its start
// with rawHead, and cost no more than a few bytes over one deflate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { BODY_DICTIONARY_BYTES, encodeRaw, rawHead, RAW_DEFLATE_STORED_LEVEL, RAW_HEAD_STORED_BYTES } from '../../src/store/body-codec.js';
import { benchMessages } from '../../scripts/bench/messages.js';

/** Deterministic pseudo-random bytes. */
function noise(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let h = Buffer.alloc(0);
  for (let i = 0; i < n; i += 32) {
    h = createHash('sha256').update(h).update(String(seed)).digest();
    h.copy(out, i);
  }
  return out;
}
const b64 = (n: number, seed: number) => Buffer.from(noise(n, seed).toString('base64').replace(/(.{76})/g, '$1\r\n'));
const text = (n: number) => Buffer.from('Plain words of a text part, repeated now and then. '.repeat(Math.ceil(n / 52)).slice(0, n));

const CASES: Array<[string, Buffer]> = [
  ['bench 200 KB (text, then a 190 KB base64 PDF)', benchMessages('200KB', 1)[0]!],
  ['base64 first, then text', Buffer.concat([b64(60_000, 1), text(40_000)])],
  ['text, base64, text, base64, text', Buffer.concat([text(20_000), b64(50_000, 2), text(33_000), b64(70_000, 3), text(17)])],
  ['base64 only, not a multiple of the run', b64(100_003, 4)],
  ['binary (8-bit) bytes, no base64', Buffer.concat([text(10_000), noise(50_000, 5), text(10_000)])],
  ['text that repeats across a base64 run (a back-reference over it)', Buffer.concat([text(30_000), b64(40_000, 6), text(30_000)])],
  // base64 of compressible content: deflate's matcher gains there, Huffman coding alone would not (bad-input 46's blank PNG).
  ['base64 of one repeated byte (a blank image)', Buffer.concat([text(2_000), Buffer.from(Buffer.alloc(300_000, 7).toString('base64').replace(/(.{76})/g, '$1\r\n')), text(100)])],
  ['base64 of a text file', Buffer.concat([text(2_000), Buffer.from(text(200_000).toString('base64').replace(/(.{76})/g, '$1\r\n'))])],
];

for (const [name, raw] of CASES) {
  test(`encodeRaw: reads back byte for byte with inflateRaw, start with rawHead: ${name}`, () => {
    for (const level of [1, RAW_DEFLATE_STORED_LEVEL]) {
      const { data, encoding } = encodeRaw(raw, level);
      if (encoding === 'identity') {
        assert.ok(data.equals(raw));
        continue;
      }
      assert.ok(inflateRawSync(data).equals(raw), `level ${level}`);
      assert.ok(rawHead(data.subarray(0, RAW_HEAD_STORED_BYTES), 'deflate').equals(raw.subarray(0, BODY_DICTIONARY_BYTES)));
      // Huffman-coded base64 costs ~2% more than deflated base64 where deflate finds chance matches; allow 3%.
      const plain = deflateRawSync(raw, { level }).length;
      assert.ok(data.length <= plain * 1.03 + 64, `${name}, level ${level}: ${data.length} vs ${plain}`);
    }
  });
}

test('encodeRaw: mail with no base64 run is one deflate, the same bytes as before', () => {
  for (const raw of [benchMessages('5KB', 1)[0]!, text(100_000), Buffer.concat([text(10_000), noise(50_000, 7)])]) {
    assert.ok(encodeRaw(raw, RAW_DEFLATE_STORED_LEVEL).data.equals(deflateRawSync(raw, { level: RAW_DEFLATE_STORED_LEVEL })));
  }
});

test('encodeRaw: a message with base64 runs is deflated in runs (not one deflate)', () => {
  const raw = CASES[0]![1];
  assert.not.ok(encodeRaw(raw, RAW_DEFLATE_STORED_LEVEL).data.equals(deflateRawSync(raw, { level: RAW_DEFLATE_STORED_LEVEL })));
});

test.run();
