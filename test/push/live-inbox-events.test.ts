// The live inbox stream, /inbox/{address}/events (issue 11), from the
// server's side: same rights as the inbox page, Origin checked, one inbox's
// events only, and summaries as JSON data.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startApiMailroom, makeUser, sendMail } from '../api/_helpers.js';

/** Reads server-sent events until `want` message events arrived or the time is up. */
async function events(url: string, headers: Record<string, string>, want: number, during: () => Promise<void>, timeoutMs = 8000) {
  const ctl = new AbortController();
  const res = await fetch(url, { headers, signal: ctl.signal });
  const got: any[] = [];
  if (res.status !== 200) return { status: res.status, got };
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  let buf = '';
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const reading = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += Buffer.from(value).toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (/^event: message$/m.test(block)) got.push(JSON.parse(/^data: (.*)$/m.exec(block)![1]!));
          if (got.length >= want) return ctl.abort();
        }
      }
    } catch {
      // aborted
    }
  })();
  await new Promise((r) => setTimeout(r, 100));
  await during();
  await reading;
  clearTimeout(timer);
  return { status: res.status, got };
}

test('bad-input 64: the live inbox stream refuses a foreign Origin and a private inbox that is not yours (403); events are scoped per inbox', async () => {
  const m = await startApiMailroom();
  try {
    const owner = await makeUser(m.store, 'liveowner');
    const other = await makeUser(m.store, 'liveother');
    m.store.addresses.reserve('mine@mailroom.test', owner.id);
    const url = (a: string) => `${m.http}/inbox/${encodeURIComponent(a)}/events`;
    assert.is((await events(url('open@mailroom.test'), { Origin: 'http://evil.example' }, 0, async () => {})).status, 403);
    assert.is((await events(url('mine@mailroom.test'), {}, 0, async () => {})).status, 403);
    assert.is((await events(url('mine@mailroom.test'), { 'Mailsac-Key': other.key }, 0, async () => {})).status, 403);

    // The owner's stream carries its own inbox's mail only, as JSON data.
    const r = await events(url('mine@mailroom.test'), { 'Mailsac-Key': owner.key }, 1, async () => {
      await sendMail(m, { to: 'open@mailroom.test', subject: 'someone else' });
      await sendMail(m, { to: 'mine@mailroom.test', subject: '</script><b>mine</b>' });
    });
    assert.is(r.status, 200);
    assert.is(r.got.length, 1);
    assert.is(r.got[0].subject, '</script><b>mine</b>');
    assert.match(r.got[0].href, /^\/inbox\/mine(@|%40)mailroom\.test\//);
  } finally {
    await m.cleanup();
  }
});

test.run();
