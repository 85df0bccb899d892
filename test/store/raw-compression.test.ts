// Raw source is stored deflated (issue 7); a large message is deflated by the
// parse worker after its 250 rather than by the writer thread before it
// (issue 16: ~8 ms for 200 KB). Either way the stored raw bytes read back
// exactly as received, and a large message ends up compressed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { startTestMailroom } from '../helpers/mailroom.js';
import { sentPart } from '../helpers/trace.js';
import { RAW_DEFLATE_INLINE_MAX } from '../../src/store/body-codec.js';

test('small and large messages: raw stored deflated, read back byte for byte', async () => {
  const m = await startTestMailroom();
  const c = await RawSmtp.connect(m.smtpAddress.port);
  try {
    await c.hello();
    const line = 'compressible line of plain text for the raw-compression test.\r\n';
    const small = simpleMessage({ to: 'raw@mailroom.test', subject: 'small', body: line.repeat(40) });
    const large = simpleMessage({ to: 'raw@mailroom.test', subject: 'large', body: line.repeat(Math.ceil((RAW_DEFLATE_INLINE_MAX * 3) / line.length)) });
    assert.ok(Buffer.byteLength(small) < RAW_DEFLATE_INLINE_MAX && Buffer.byteLength(large) > RAW_DEFLATE_INLINE_MAX);
    const ids: string[] = [];
    for (const msg of [small, large]) {
      const r = await c.send('a@example.org', ['raw@mailroom.test'], msg);
      assert.is(r.code, 250);
      ids.push(/stored as (\S+)/.exec(r.text)![1]!);
    }
    await m.parseQueue.idle();
    const db = new Database(m.store.file, { readonly: true });
    try {
      for (const [i, id] of ids.entries()) {
        const view = m.store.messages.get(id)!;
        const row = db.prepare('SELECT raw_encoding, length(raw) AS stored, size FROM contents WHERE id = ?').get(view.contentId) as { raw_encoding: string; stored: number; size: number };
        assert.is(row.raw_encoding, 'deflate', `message ${i} compressed`);
        assert.ok(row.stored < row.size / 2, `message ${i}: ${row.stored} stored bytes for ${row.size}`);
        // What the sender sent, as received, after our Received: field (the final CRLF.CRLF is not part of it).
        assert.is(sentPart(m.store.messages.raw(view.contentId)), [small, large][i]);
      }
    } finally {
      db.close();
    }
  } finally {
    await c.quit();
    await m.cleanup();
  }
});

test.run();
