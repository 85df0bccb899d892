// The postscreen-style greet pause: early talkers are still refused, but a
// client that has waited for a greeting before is greeted at once (issue 7).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { startTestMailroom } from '../helpers/mailroom.js';
import { GreetPauseMemory } from '../../src/smtp/greet-pause.js';

/** Connects from `localAddress` and sends EHLO the moment the socket opens. */
async function earlyTalk(port: number, localAddress: string): Promise<number[]> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  await new Promise((r) => socket.once('connect', r));
  socket.write('EHLO early.test\r\n');
  let buf = '';
  socket.on('data', (d) => (buf += d));
  await new Promise((r) => setTimeout(r, 400));
  socket.destroy();
  return [...buf.matchAll(/^(\d{3}) /gm)].map((m) => Number(m[1]));
}

test('bad-input 18: an unknown client that talks before the greeting is refused with 421', async () => {
  const m = await startTestMailroom();
  try {
    const codes = await earlyTalk(m.smtpAddress.port, '127.0.0.5');
    assert.ok(codes.includes(421), `answers: ${codes.join(',')}`);
    assert.not.ok(codes.includes(250));
  } finally {
    await m.cleanup();
  }
});

test('a client that waited for the greeting once is greeted at once afterwards', async () => {
  const m = await startTestMailroom();
  try {
    // 127.0.0.1 waits politely and sends a message.
    const c = await RawSmtp.connect(m.smtpAddress.port);
    await c.hello();
    assert.is((await c.send('x@example.org', ['polite@mailroom.test'], simpleMessage({ to: 'x', subject: 'hi' }))).code, 250);
    await c.quit();
    // Now the same address can talk at once: no pause, so no "too soon".
    const codes = await earlyTalk(m.smtpAddress.port, '127.0.0.1');
    assert.equal(codes.slice(0, 2), [220, 250]);
    // Another address is still tested.
    assert.ok((await earlyTalk(m.smtpAddress.port, '127.0.0.6')).includes(421));
  } finally {
    await m.cleanup();
  }
});

test('greetPauseTrustMinutes 0 keeps the pause for every connection', async () => {
  const m = await startTestMailroom({ smtp: { greetPauseTrustMinutes: 0 } as never });
  try {
    const c = await RawSmtp.connect(m.smtpAddress.port);
    await c.hello();
    assert.is((await c.send('x@example.org', ['polite@mailroom.test'], simpleMessage({ to: 'x', subject: 'hi' }))).code, 250);
    await c.quit();
    assert.ok((await earlyTalk(m.smtpAddress.port, '127.0.0.1')).includes(421));
  } finally {
    await m.cleanup();
  }
});

test('greetPauseMs 0 greets every client at once', async () => {
  const m = await startTestMailroom({ smtp: { greetPauseMs: 0 } as never });
  try {
    assert.equal((await earlyTalk(m.smtpAddress.port, '127.0.0.7')).slice(0, 2), [220, 250]);
  } finally {
    await m.cleanup();
  }
});

test('trust expires, and the memory stays bounded', () => {
  let now = 0;
  const mem = new GreetPauseMemory(100, 1000, 10, () => now);
  assert.is(mem.pauseFor('a'), 100);
  mem.pass('a');
  assert.is(mem.pauseFor('a'), 0);
  now = 1001;
  assert.is(mem.pauseFor('a'), 100);
  for (let i = 0; i < 50; i++) mem.pass(`ip${i}`);
  assert.is(mem.pauseFor('ip49'), 0, 'the newest are kept');
  assert.is(mem.pauseFor('ip0'), 100, 'the oldest were forgotten');
});

test.run();
