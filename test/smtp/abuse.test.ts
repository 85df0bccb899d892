// SMTP abuse controls (issue 6; bad-inputs 17, 19, 20, 22, 23, 24, 31).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { startTestMailroom } from '../helpers/mailroom.js';

type M = Awaited<ReturnType<typeof startTestMailroom>>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function greeting(port: number, localAddress = '127.0.0.1'): Promise<{ code: number; socket: net.Socket }> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    let buf = '';
    socket.on('data', (d) => {
      buf += d;
      const m = buf.match(/^(\d{3}) /m);
      if (m) resolve({ code: Number(m[1]), socket });
    });
    socket.on('error', () => resolve({ code: 0, socket }));
    socket.on('close', () => resolve({ code: 0, socket }));
  });
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

test('bad-input 22: a 1 byte/s slowloris is cut off while 16 well-behaved clients keep getting 250s', async () => {
  const m: M = await startTestMailroom({ smtp: { minDataRate: 20, dataRateWindowMs: 2000 } as never });
  try {
    const slow = await RawSmtp.connect(m.smtpAddress.port);
    assert.is((await slow.reply()).code, 220);
    let stop = false;
    const trickle = (async () => {
      for (const ch of 'EHLO slowloris.example.with.a.long.name\r\n') {
        if (stop || slow.closed) return;
        slow.write(ch);
        await sleep(1000);
      }
    })();
    let ok = 0;
    let bad = 0;
    const good = async (n: number) => {
      const c = await RawSmtp.connect(m.smtpAddress.port);
      await c.hello();
      while (!slow.closed) {
        const r = await c.send('x@example.org', [`good${n}@mailroom.test`], simpleMessage({ to: 'x', subject: 'good' }));
        if (r.code === 250) ok++;
        else bad++;
      }
      await c.quit();
    };
    const started = Date.now();
    const goods = Array.from({ length: 16 }, (_, n) => good(n));
    const cut = await slow.reply(15_000);
    const after = Date.now() - started;
    stop = true;
    await Promise.all(goods);
    await trickle;
    console.log(`    slowloris cut off after ${after} ms with "${cut.code} ${cut.text}"; meanwhile 16 clients got ${ok} 250s and ${bad} other replies`);
    assert.is(cut.code, 421);
    assert.match(cut.text, /rate/i);
    assert.ok(after < 8000, `cut off after ${after} ms`);
    assert.is(bad, 0);
    assert.ok(ok > 16, `well-behaved clients got ${ok} 250s meanwhile`);
    assert.is(m.smtp.stats.tooSlow, 1);
  } finally {
    await m.cleanup();
  }
});

test('the whole-session deadline ends a session that keeps itself busy with NOOPs', async () => {
  const m: M = await startTestMailroom({ smtp: { sessionTimeoutMs: 1500 } as never });
  try {
    const c = await RawSmtp.connect(m.smtpAddress.port);
    await c.hello();
    let last = { code: 250, text: '' };
    const end = Date.now() + 6000;
    while (Date.now() < end && !c.closed) {
      last = await c.command('NOOP');
      if (last.code !== 250) break;
      await sleep(200);
    }
    // The 421 may have arrived while the client slept, before the socket closed.
    if (last.code === 250) last = await c.reply();
    assert.is(last.code, 421);
    assert.match(last.text, /time limit/);
    assert.is(m.smtp.stats.sessionDeadline, 1);
  } finally {
    await m.cleanup();
  }
});

test('bad-input 23: 500 connections from one address: the excess get 421 4.7.0; another address is still served', async () => {
  const m: M = await startTestMailroom({ smtp: { maxConnectionsPerIp: 20, connectionsPerIpPerMinute: 100_000, maxClients: 1000 } as never });
  try {
    const rssBefore = process.memoryUsage().rss;
    const results = await Promise.all(Array.from({ length: 500 }, () => greeting(m.smtpAddress.port)));
    const codes = results.map((r) => r.code);
    const accepted = codes.filter((c) => c === 220).length;
    const refused = codes.filter((c) => c === 421).length;
    assert.is(accepted, 20, `accepted ${accepted}`);
    assert.is(refused, 480);
    const other = await greeting(m.smtpAddress.port, '127.0.0.2');
    assert.is(other.code, 220, 'a peer on another address is served');
    other.socket.destroy();
    for (const r of results) r.socket.destroy();
    await waitFor(() => m.smtp.connections === 0);
    assert.is(m.smtp.connections, 0);
    console.log(`    500 connections: ${accepted} accepted, ${refused} refused; test process RSS grew ${((process.memoryUsage().rss - rssBefore) / 1e6).toFixed(1)} MB`);
    // Slots are released: the same address is served again.
    const again = await greeting(m.smtpAddress.port);
    assert.is(again.code, 220);
    again.socket.destroy();
    assert.ok(m.smtp.stats.refusedPerIp >= 480);
    const health = await (await fetch(`${m.http}/healthz`)).json();
    assert.ok(health.smtp.refusedPerIp >= 480, 'refusals are counted in /healthz');
  } finally {
    await m.cleanup();
  }
});

test('bad-input 24: connection churn past the per-minute rate gets 421; connections return to 0', async () => {
  const m: M = await startTestMailroom({ smtp: { connectionsPerIpPerMinute: 50 } as never });
  try {
    const codes: number[] = [];
    for (let i = 0; i < 60; i++) {
      const c = await RawSmtp.connect(m.smtpAddress.port);
      codes.push((await c.reply()).code);
      await c.quit();
    }
    assert.is(codes.filter((c) => c === 220).length, 50);
    assert.is(codes.filter((c) => c === 421).length, 10);
    await waitFor(() => m.smtp.connections === 0);
    assert.is(m.smtp.connections, 0);
    assert.is(m.smtp.stats.refusedRate, 10);
  } finally {
    await m.cleanup();
  }
});

test('bad-inputs 17, 19, 20, 31: long commands, HTTP on the SMTP port, unknown commands, disk floor', async () => {
  const m: M = await startTestMailroom();
  try {
    let c = await RawSmtp.connect(m.smtpAddress.port);
    await c.hello();
    const long = await c.command('NOOP ' + 'x'.repeat(2000));
    assert.ok(long.code === 500 || long.code === 421, `long command answered ${long.code}`);
    await c.quit();

    c = await RawSmtp.connect(m.smtpAddress.port);
    await c.reply();
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const http = await c.reply();
    assert.ok(http.code === 421 || http.code === 500, `HTTP answered ${http.code}`);
    await c.quit();

    c = await RawSmtp.connect(m.smtpAddress.port);
    await c.hello();
    let last = 0;
    for (let i = 0; i < 10 && !c.closed; i++) last = (await c.command(`BOGUS${i}`)).code;
    assert.is(last, 421, 'the 10th unknown command closes the session');
    await c.quit();
  } finally {
    await m.cleanup();
  }
  const full: M = await startTestMailroom({ smtp: { minFreeDiskBytes: Number.MAX_SAFE_INTEGER } as never });
  try {
    const c = await RawSmtp.connect(full.smtpAddress.port);
    await c.hello();
    const r = await c.command('MAIL FROM:<x@example.org>');
    assert.is(r.code, 452);
    assert.match(r.text, /^4\.3\.1/);
    await c.quit();
    assert.is(full.smtp.stats.diskFloor, 1);
  } finally {
    await full.cleanup();
  }
});

test.run();
