// Body documents deflated against their raw message (issue 16: stored bytes
// ≤ raw bytes): they read back exactly, only with the raw message's start as
// dictionary, documents of the older form still read, and the dictionary is
// recovered from a cut prefix of the stored raw column.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import {
  BODY_DICTIONARY_BYTES,
  bodyDictionary,
  decodeBody,
  encodeBody,
  needsRawDictionary,
  rawHead,
  RAW_HEAD_STORED_BYTES,
} from '../../src/store/body-codec.js';
import { parseMessage } from '../../src/mail/parse.js';
import { simpleMessage } from '../helpers/raw-smtp.js';
import path from 'node:path';
import { openDatabase } from '../../src/store/db.js';
import { MessageStore } from '../../src/store/messages.js';
import { reindexSearch } from '../../src/store/search-reindex.js';
import { tempDir } from '../helpers/temp.js';

// Words that do not repeat, so deflate alone cannot shrink the body much: only the dictionary can.
const words = Array.from({ length: 600 }, () => randomBytes(4).toString('hex'));
const raw = Buffer.from(simpleMessage({ to: 'codec@mailroom.test', subject: 'codec', body: words.join(' ') }));

test('a body deflated against its raw message decodes with that dictionary, and is much smaller', async () => {
  const p = await parseMessage(raw);
  const plain = encodeBody(p);
  const z = encodeBody(p, raw);
  assert.ok(needsRawDictionary(z));
  assert.not.ok(needsRawDictionary(plain), 'a raw deflate stream never starts with the marker');
  assert.ok(z.length < plain.length / 2, `${z.length} vs ${plain.length}`);
  assert.equal(decodeBody(z, () => bodyDictionary(raw)), { text: p.text, html: p.html, headers: p.headers });
  assert.equal(decodeBody(plain), { text: p.text, html: p.html, headers: p.headers }, 'the older form still reads');
  assert.throws(() => decodeBody(z), /raw message/);
  assert.throws(() => decodeBody(z, () => Buffer.from('not the raw message')));
});

test('rawHead: the first bytes of the raw message from a cut prefix of its stored form', () => {
  // Text then incompressible bytes: the stored prefix must not be read at a fixed ratio.
  const big = Buffer.concat([raw, randomBytes(300_000), raw]);
  const z = deflateRawSync(big, { level: 6 });
  assert.ok(rawHead(z.subarray(0, RAW_HEAD_STORED_BYTES), 'deflate').equals(big.subarray(0, BODY_DICTIONARY_BYTES)));
  const noisy = Buffer.concat([randomBytes(40_000), raw]);
  assert.ok(rawHead(deflateRawSync(noisy, { level: 1 }), 'deflate').equals(noisy.subarray(0, BODY_DICTIONARY_BYTES)));
  assert.ok(rawHead(deflateRawSync(raw), 'deflate').equals(raw), 'a short message is its own dictionary');
  assert.ok(inflateRawSync(deflateRawSync(raw)).equals(raw));
  assert.ok(rawHead(big, 'identity').equals(big.subarray(0, BODY_DICTIONARY_BYTES)));
});

test('the store writes the dictionary form and reads it back: body(), storedBody() for the worker, the search reindex', async () => {
  const db = openDatabase(path.join(tempDir(), 'm.db'));
  try {
    const messages = new MessageStore(db);
    const ids = messages.insertReceived({ raw, mailFrom: 'a@example.org', recipients: [{ inbox: 'codec@mailroom.test', original: 'codec@mailroom.test', domain: 'mailroom.test' }], ip: '', helo: '', tls: false, received: Date.now() });
    const p = await parseMessage(raw);
    messages.applyParse(ids.contentId, p);
    const stored = messages.storedBody(ids.contentId) as { z: Buffer; rawHead?: Buffer; rawEncoding?: string };
    assert.ok(needsRawDictionary(stored.z), 'applyParse encodes against the raw message');
    assert.ok(stored.rawHead && stored.rawEncoding === 'deflate');
    assert.equal(decodeBody(stored.z, () => rawHead(stored.rawHead!, stored.rawEncoding!)).text, p.text);
    assert.equal(messages.body(ids.contentId), { text: p.text, html: p.html, headers: p.headers });
    assert.ok(messages.raw(ids.contentId)!.equals(raw), 'raw bytes byte-exact');
    assert.is(reindexSearch(db), 1);
    assert.is(db.prepare(`SELECT count(*) FROM message_fts WHERE message_fts MATCH ?`).pluck().get(`"${words[300]}"`), 1, 'the reindex read the body');
  } finally {
    db.close();
  }
});

test.run();
