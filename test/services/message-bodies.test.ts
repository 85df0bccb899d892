// Body forms made in walled render workers (issue 10 part 2): a body whose
// sanitizing hits the wall is shown as escaped text, flagged, and costs other
// readers nothing; results are cached.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageBodies, createRenderPool } from '../../src/services/message-bodies.js';
import { startApiMailroom, sendMail } from '../api/_helpers.js';

test('a body past the render wall time is escaped text with a note; the next message renders normally', async () => {
  const m = await startApiMailroom();
  // 1 s: the ruby chain below takes several seconds in DOMPurify (every
  // removal walks its siblings); the ordinary message takes milliseconds.
  const bodies = new MessageBodies(m.store.reader, createRenderPool(1, 1000));
  try {
    await sendMail(m, { to: 'walls@mailroom.test', subject: 'slow', html: '<ruby>' + '<rt>x'.repeat(9000) + '<script>alert(1)</script>' });
    await sendMail(m, { to: 'walls@mailroom.test', subject: 'fine', html: '<p>Hello <b>there</b><img src="https://tracker.example/p.gif"></p>' });
    const [fine, slow] = m.store.messages.list('walls@mailroom.test');
    assert.is(slow!.subject, 'slow');
    const [a, b] = await Promise.all([bodies.sanitized(slow!, 'test', [], false), bodies.sanitized(fine!, 'test', [], false)]);
    assert.is(a.degraded, true);
    assert.match(a.html, /too complex to show/);
    assert.match(a.html, /&lt;rt&gt;x/);
    assert.not.match(a.html, /<script|<rt>/i);
    assert.is(b.degraded, false);
    assert.match(b.html, /^<p>Hello <b>there<\/b><img><\/p>\s*$/);
    assert.not.match(b.html, /tracker/);
    assert.is(b.remoteBlocked, 1);
    assert.is(bodies.degradedCount, 1);
    // Cached: the same object comes back without another render.
    assert.is(await bodies.sanitized(fine!, 'test', [], false), b);
  } finally {
    await bodies.close();
    await m.cleanup();
  }
});

test('text view and /api/body of a long text body convert at most 1 MiB; /api/text has all of it', async () => {
  const m = await startApiMailroom();
  const bodies = new MessageBodies(m.store.reader, createRenderPool(1));
  try {
    const text = 'a <b> & "c"\n'.repeat(200_000); // 2.4 MB
    await sendMail(m, { to: 'long@mailroom.test', subject: 'long', text });
    const [msg] = m.store.messages.list('long@mailroom.test');
    const html = await bodies.textHtml(msg!);
    assert.ok(html.startsWith('a &lt;b&gt; &amp; &quot;c&quot;\n'));
    assert.ok(html.endsWith('\n…'));
    assert.ok(html.length < 1024 * 1024 * 3, `${html.length} chars`);
    assert.is((await bodies.apiBody(msg!)).document, true);
    assert.is((await bodies.plainText(msg!)).length, text.length);
  } finally {
    await bodies.close();
    await m.cleanup();
  }
});

test.run();
