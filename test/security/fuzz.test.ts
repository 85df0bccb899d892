// Property tests with fast-check over real SMTP (issue 6): random and mutated
// messages, and random command lines, against one whole Mailroom.
//   - a 250 always means the message is stored, with its raw bytes byte-exact;
//   - anything else stores nothing;
//   - parsing and every reader view survive whatever was stored;
//   - the server keeps answering every command line, and stays up.
// Runs are bounded (numRuns, per-reply timeouts) so the suite stays fast. A
// failure prints fast-check's seed and shrunk counterexample; rerun one with
// FUZZ_SEED=<seed>.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { RawSmtp, dotStuff, simpleMessage, type Reply } from '../helpers/raw-smtp.js';
import { startTestMailroom } from '../helpers/mailroom.js';
import { splitTrace } from '../helpers/trace.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const MAX_SIZE = 256 * 1024;
const TO = 'fuzz@mailroom.test';

type M = Awaited<ReturnType<typeof startTestMailroom>>;
let m: M;
let pid = 0;

test.before(async () => {
  m = await startTestMailroom({
    smtp: { maxMessageSize: MAX_SIZE, connectionsPerIpPerMinute: 1_000_000, maxConnectionsPerIp: 1000 } as never,
  });
  pid = process.pid;
});

test.after(async () => {
  await m?.cleanup();
});

const seeds = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.eml'))
  .map((f) => readFileSync(path.join(FIXTURES, f)));

/** Byte strings that make parsers and the SMTP data path work hardest. */
const NASTY = [
  '\r\n.\r\n',
  '\n.\n',
  '\n.\r\n',
  '\r\n..\r\n',
  '\r.\r',
  '\x00',
  '\r',
  '\n',
  '\r\n\r\n',
  '--',
  '\r\n--b0undary--\r\n',
  'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n',
  'Content-Transfer-Encoding: base64\r\n\r\n!!!==',
  '=\r\n',
  '=?utf-8?b?PHNjcmlwdD4=?=',
  '=?x-unknown?q?=FF=FE?=',
  '__proto__: polluted\r\n',
  'Received: from x\r\n',
  '\xff\xfe\x80',
  'MAIL FROM:<a@b>\r\n',
].map((s) => Buffer.from(s, 'latin1'));

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'insert'; at: number; what: number }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'duplicate'; at: number; len: number }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), what: fc.nat(NASTY.length - 1) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 2000 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(base: Buffer, muts: Mutation[]): Buffer {
  let b = base;
  for (const x of muts) {
    const at = b.length ? x.at % (b.length + 1) : 0;
    switch (x.kind) {
      case 'flip':
        if (b.length) {
          b = Buffer.from(b);
          b[at % b.length] = x.byte;
        }
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), NASTY[x.what]!, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + x.len)]);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at + x.len), b.subarray(at, at + x.len), b.subarray(at + x.len)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

const message: fc.Arbitrary<Buffer> = fc.oneof(
  // A real-looking message with up to 8 mutations.
  { weight: 6, arbitrary: fc.tuple(fc.nat(seeds.length - 1), fc.array(mutation, { maxLength: 8 })).map(([i, muts]) => mutate(seeds[i]!, muts)) },
  // Pure noise.
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)) },
  // Generated header/body structure with hostile strings.
  {
    weight: 2,
    arbitrary: fc
      .record({
        headers: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z_-]{1,20}$/), fc.string({ maxLength: 200, unit: 'binary' })), { maxLength: 20 }),
        body: fc.string({ maxLength: 2000, unit: 'binary' }),
        nasty: fc.array(fc.nat(NASTY.length - 1), { maxLength: 5 }),
      })
      .map(({ headers, body, nasty }) =>
        Buffer.concat([
          Buffer.from(headers.map(([k, v]) => `${k}: ${v}`).join('\r\n') + '\r\n\r\n', 'utf8'),
          ...nasty.map((n) => NASTY[n]!),
          Buffer.from(body, 'utf8'),
        ]),
      ),
  },
);

/** What the server must have stored for `msg` sent with dot-stuffing and the final CRLF.CRLF. */
function expectedRaw(msg: Buffer): Buffer {
  const unstuffedEnd = dotStuff(msg); // the bytes on the wire before "\r\n.\r\n"
  // The server undoes the stuffing and keeps the CRLF before the dot (RFC 5321 4.1.1.4).
  const s = unstuffedEnd.toString('latin1').replace(/(^|\r\n)\.\./g, '$1.');
  return Buffer.from(s + '\r\n', 'latin1');
}

class Session {
  c: RawSmtp | null = null;
  async get(): Promise<RawSmtp> {
    if (this.c && !this.c.closed) return this.c;
    this.c = await RawSmtp.connect(m.smtpAddress.port);
    await this.c.hello();
    return this.c;
  }
  async close(): Promise<void> {
    await this.c?.quit();
    this.c = null;
  }
}

async function liveness(label: string): Promise<void> {
  const c = await RawSmtp.connect(m.smtpAddress.port);
  await c.hello();
  const r = await c.send('alive@example.org', [TO], simpleMessage({ to: TO, subject: `alive ${label}` }));
  assert.is(r.code, 250, `${label}: a normal message is still accepted (${r.code} ${r.text})`);
  await c.quit();
  assert.is(process.pid, pid);
  assert.is((await fetch(`${m.http}/healthz`)).status, 200, `${label}: healthz`);
}

test('fuzz: random and mutated messages over SMTP: 250 ⇔ stored with byte-exact raw; every view survives', async () => {
  const s = new Session();
  let accepted = 0;
  let refused = 0;
  try {
    await fc.assert(
      fc.asyncProperty(message, async (msg) => {
        const before = m.store.messages.stats().contents;
        const c = await s.get();
        const r: Reply = await c.send('fuzzer@example.org', [TO], msg);
        if (r.code !== 250) {
          refused++;
          // Only refusals a client can act on, never a crash (0 = connection dropped).
          assert.ok([451, 452, 552, 554].includes(r.code), `unexpected reply ${r.code} ${r.text}`);
          assert.is(m.store.messages.stats().contents, before, 'refused: nothing stored');
          if (r.code >= 500 && r.code !== 552 && r.code !== 554) await s.close();
          return;
        }
        accepted++;
        const id = /stored as (\S+)/.exec(r.text)?.[1];
        assert.ok(id, `250 names the stored message: ${r.text}`);
        const stored = m.store.messages.get(id!);
        assert.ok(stored, '250 without a stored message');
        const raw = splitTrace(m.store.messages.raw(stored!.contentId)).rest;
        const want = expectedRaw(msg);
        assert.ok(raw!.equals(want), `raw not byte-exact (${raw!.length} vs ${want.length} bytes)`);
      }),
      { numRuns: 200, seed: SEED, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: false },
    );
  } finally {
    await s.close();
  }
  // Everything stored must parse (or be flagged) and render in every view.
  await m.parseQueue.idle();
  const all = m.store.messages.list(TO, { limit: 1000 });
  for (const x of all) {
    assert.ok(x.parseState === 'ok' || x.parseState === 'failed', `${x.id}: ${x.parseState}`);
    for (const p of ['', '/html', '/headers', '?view=text', '/raw']) {
      const res = await fetch(`${m.http}/inbox/${TO}/${x.id}${p}`);
      assert.is(res.status, 200, `${x.id}${p}: ${res.status}`);
      await res.arrayBuffer();
    }
    const j = await fetch(`${m.http}/api/addresses/${TO}/messages/${x.id}`);
    assert.is(j.status, 200);
    await j.arrayBuffer();
  }
  console.log(`fuzz messages: ${accepted} accepted, ${refused} refused, ${all.length} stored and rendered`);
  await liveness('after message fuzzing');
});

const VERBS = ['HELO', 'EHLO', 'MAIL FROM:', 'RCPT TO:', 'DATA', 'RSET', 'NOOP', 'QUIT', 'VRFY', 'EXPN', 'HELP', 'AUTH PLAIN', 'STARTTLS', 'BDAT', 'XCLIENT', 'XFORWARD', 'TURN', 'ETRN', 'GET / HTTP/1.1', 'POST /', ''];

/** One command line: a verb (sometimes mangled) and arbitrary arguments, without CR or LF (those end a line). */
const commandLine: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...VERBS),
    fc.oneof(
      fc.constant(''),
      fc.constantFrom('<a@b.example>', `<${TO}>`, '<>', '<@x:y@z>', '<"q"@mailroom.test>', '<a%b@mailroom.test>', '<jösé@mailroom.test> SMTPUTF8', '<a@b> SIZE=999999999999', '<a@b> BODY=8BITMIME', 'x'.repeat(1100)),
      fc.string({ maxLength: 300, unit: 'binary' }),
    ),
    fc.boolean(),
  )
  .map(([verb, arg, mangle]) => {
    const v = mangle ? verb.toLowerCase().split('').reverse().join('') : verb;
    return (v + (v.endsWith(':') ? '' : ' ') + arg).replace(/[\r\n]/g, ' ');
  });

test('fuzz: random SMTP command lines: every line gets an answer or a clean close; the server stays up', async () => {
  let lines = 0;
  let closes = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(commandLine, { minLength: 1, maxLength: 15 }), async (cmds) => {
      const c = await RawSmtp.connect(m.smtpAddress.port);
      try {
        const greet = await c.reply(5000);
        assert.is(greet.code, 220);
        for (const line of cmds) {
          if (c.closed) break;
          const before = m.store.messages.stats().contents;
          c.write(Buffer.from(line + '\r\n', 'utf8'));
          lines++;
          const r = await c.reply(5000); // rejects on timeout: a line nobody answered
          if (r.code === 0) {
            closes++;
            break;
          }
          assert.ok(r.code >= 200 && r.code < 600, `reply code ${r.code}`);
          if (r.code === 354) {
            // In DATA: end it, and hold the server to "250 means stored".
            c.write('Subject: fuzz\r\n\r\nbody\r\n.\r\n');
            const d = await c.reply(5000);
            if (d.code === 250) {
              const id = /stored as (\S+)/.exec(d.text)?.[1];
              assert.ok(id && m.store.messages.get(id), '250 after DATA without a stored message');
            } else {
              assert.is(m.store.messages.stats().contents, before, 'refused DATA stored something');
            }
          }
          // STARTTLS accepted (offered by default since issue 12): the next bytes must be a
          // TLS handshake, so plain command lines end here.
          if (r.code === 220 && /^STARTTLS\s*$/i.test(line)) break;
          if (r.code === 221 || r.code === 421) {
            await c.closedPromise();
            closes++;
            break;
          }
        }
      } finally {
        c.socket.destroy();
      }
    }),
    { numRuns: 150, seed: SEED, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: false },
  );
  console.log(`fuzz commands: ${lines} lines answered, ${closes} sessions closed by the server`);
  await liveness('after command fuzzing');
  // Nothing left behind.
  const end = Date.now() + 5000;
  while (m.smtp.connections > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  assert.is(m.smtp.connections, 0, 'every connection released');
});

test.run();
