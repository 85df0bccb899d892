// The bench's instrument, checked against a scripted SMTP server on a real
// socket: the dialogue it speaks (pipelined when offered, one command at a
// time when not, dot-stuffed DATA, QUIT) and the percentile maths. No timing
// assertions beyond "a delay the server adds is not hidden" (GUIDE, "Tests").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { dataPayload, runLoad, SmtpConnection } from '../../scripts/bench/load-client.js';
import { percentileSorted, summarize, zipf, rng } from '../../scripts/bench/stats.js';

interface Script {
  pipelining: boolean;
  /** Delay before answering the final dot, ms. */
  dotDelayMs?: number;
}

/** A tiny SMTP server that records every chunk it receives and the commands it parsed. */
function scriptedServer(script: Script): Promise<{ port: number; chunks: string[][]; commands: string[][]; bodies: string[]; close(): Promise<void> }> {
  const chunks: string[][] = [];
  const commands: string[][] = [];
  const bodies: string[] = [];
  const server = net.createServer((socket) => {
    const myChunks: string[] = [];
    const myCommands: string[] = [];
    chunks.push(myChunks);
    commands.push(myCommands);
    let buf = '';
    let inData = false;
    socket.write('220 scripted ready\r\n');
    socket.on('data', (d) => {
      myChunks.push(d.toString('latin1'));
      buf += d.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end === -1) return;
          bodies.push(buf.slice(0, end));
          buf = buf.slice(end + 5);
          inData = false;
          myCommands.push('<dot>');
          const answer = () => socket.write('250 2.0.0 Ok queued\r\n');
          if (script.dotDelayMs) setTimeout(answer, script.dotDelayMs);
          else answer();
          continue;
        }
        const idx = buf.indexOf('\r\n');
        if (idx === -1) return;
        const line = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        myCommands.push(line);
        const verb = line.split(/[ :]/)[0].toUpperCase();
        if (verb === 'EHLO') socket.write(`250-scripted\r\n${script.pipelining ? '250-PIPELINING\r\n' : ''}250 8BITMIME\r\n`);
        else if (verb === 'MAIL' || verb === 'RCPT') socket.write('250 2.1.0 Ok\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
        } else socket.write('502 unknown\r\n');
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({ port, chunks, commands, bodies, close: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}

test('dataPayload dot-stuffs, uses CRLF and ends with exactly one <CRLF>.<CRLF>', () => {
  const p = dataPayload('Subject: x\n\n.hidden\nline\r\n..two\r\n').toString('latin1');
  assert.is(p, 'Subject: x\r\n\r\n..hidden\r\nline\r\n...two\r\n.\r\n');
  assert.is(dataPayload('.').toString('latin1'), '..\r\n.\r\n');
});

test('with PIPELINING, MAIL + RCPT + DATA go in one write and the body waits for the 354', async () => {
  const srv = await scriptedServer({ pipelining: true });
  const { conn, greeting } = await SmtpConnection.open('127.0.0.1', srv.port);
  assert.is(greeting.code, 220);
  assert.is((await conn.ehlo('load.test')).code, 250);
  assert.ok(conn.extensions.has('PIPELINING'));
  const payload = dataPayload('Subject: hi\r\n\r\nbody\r\n');
  const { reply, latencyMs } = await conn.send('a@load.test', 'b@mailroom.test', payload, true);
  assert.is(reply.code, 250);
  assert.ok(latencyMs >= 0);
  await conn.quit();
  const chunks = srv.chunks[0];
  const envelope = chunks.find((c) => c.startsWith('MAIL FROM'));
  assert.is(envelope, `MAIL FROM:<a@load.test> SIZE=${payload.length}\r\nRCPT TO:<b@mailroom.test>\r\nDATA\r\n`);
  assert.equal(srv.commands[0], ['EHLO load.test', `MAIL FROM:<a@load.test> SIZE=${payload.length}`, 'RCPT TO:<b@mailroom.test>', 'DATA', '<dot>', 'QUIT']);
  assert.equal(srv.bodies, ['Subject: hi\r\n\r\nbody']);
  await srv.close();
});

test('without PIPELINING, one command at a time', async () => {
  const srv = await scriptedServer({ pipelining: false });
  const { conn } = await SmtpConnection.open('127.0.0.1', srv.port);
  await conn.ehlo('load.test');
  assert.not.ok(conn.extensions.has('PIPELINING'));
  const { reply } = await conn.send('a@load.test', 'b@mailroom.test', dataPayload('x'), false);
  assert.is(reply.code, 250);
  await conn.quit();
  for (const c of srv.chunks[0]) {
    const lines = c.split('\r\n').filter(Boolean);
    assert.ok(lines.length <= 1 || !/^(MAIL|RCPT|DATA)/.test(lines[1]), `pipelined without PIPELINING: ${JSON.stringify(c)}`);
  }
  await srv.close();
});

test('runLoad: persistent senders reuse their connection; per-message opens one per message and says QUIT', async () => {
  const srv = await scriptedServer({ pipelining: true });
  const persistent = await runLoad({ port: srv.port, senders: 2, mode: 'persistent', payloads: [dataPayload('a'), dataPayload('b')], recipient: () => 'r@mailroom.test', warmupMs: 20, durationMs: 150 });
  assert.ok(persistent.messages > 0);
  assert.is(persistent.errors, 0);
  assert.is(srv.commands.length, 2, 'two senders, two connections');
  const before = srv.commands.length;
  const perMessage = await runLoad({ port: srv.port, senders: 1, mode: 'per-message', payloads: [dataPayload('a')], recipient: () => 'r@mailroom.test', warmupMs: 20, durationMs: 150 });
  assert.ok(perMessage.messages > 0);
  assert.is(perMessage.errors, 0);
  const conns = srv.commands.slice(before);
  assert.ok(conns.length >= perMessage.messages, 'at least one connection per message');
  for (const c of conns.slice(0, -1)) assert.equal(c.filter((l) => l === '<dot>').length, 1, 'one message per connection');
  assert.ok(perMessage.greeting.count > 0, 'connect→greeting measured for connections in the window');
  await new Promise((r) => setTimeout(r, 50));
  for (const c of conns.slice(0, -1)) assert.is(c[c.length - 1], 'QUIT');
  await srv.close();
});

test('runLoad with ports: senders are spread over the nodes, sender i to node i mod n', async () => {
  const a = await scriptedServer({ pipelining: true });
  const b = await scriptedServer({ pipelining: true });
  const r = await runLoad({ port: 1, ports: [a.port, b.port], senders: 5, mode: 'persistent', payloads: [dataPayload('a')], recipient: () => 'r@mailroom.test', warmupMs: 20, durationMs: 150 });
  assert.is(r.errors, 0);
  assert.is(a.commands.length, 3, 'senders 0, 2 and 4 on the first node');
  assert.is(b.commands.length, 2, 'senders 1 and 3 on the second');
  assert.ok(a.bodies.length > 0 && b.bodies.length > 0, 'both nodes received mail');
  await a.close();
  await b.close();
});

test('a delay between the final dot and the 250 shows in the latency', async () => {
  const srv = await scriptedServer({ pipelining: true, dotDelayMs: 40 });
  const r = await runLoad({ port: srv.port, senders: 1, mode: 'persistent', payloads: [dataPayload('a')], recipient: () => 'r@mailroom.test', warmupMs: 0, durationMs: 300 });
  assert.ok(r.latency.count > 0);
  assert.ok(r.latency.p50 >= 39, `p50 ${r.latency.p50} hides the server's 40 ms`);
  await srv.close();
});

test('nearest-rank percentiles', () => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.is(percentileSorted(hundred, 50), 50);
  assert.is(percentileSorted(hundred, 99), 99);
  assert.is(percentileSorted(hundred, 100), 100);
  assert.is(percentileSorted(hundred, 0), 1);
  assert.is(percentileSorted([7], 99), 7);
  assert.ok(Number.isNaN(percentileSorted([], 50)));
  // Ten samples: p50 is the 5th, p99 the 10th (the worst one), never an interpolation.
  const s = summarize([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
  assert.equal([s.count, s.p50, s.p99, s.max, s.mean], [10, 5, 10, 10, 5.5]);
});

test('zipf sampler stays in range and favours low ranks', () => {
  const pick = zipf(100, 1, rng(1));
  const counts = new Array(100).fill(0);
  for (let i = 0; i < 20000; i++) counts[pick()]++;
  assert.ok(counts.every((c, i) => i === 0 || c <= counts[0]));
  assert.ok(counts[0] > counts[99] * 20);
});

test.run();
