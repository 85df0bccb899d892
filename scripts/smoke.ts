// End-to-end smoke test of a running Mailroom, over the wire only: raw SMTP in,
// the Mailsac-compatible REST API out. No project imports and no dependencies
// beyond Node's `net`, `crypto` and global `fetch`, so it runs against any
// deployment (the container, a remote server) from a plain checkout.
//
//   node --import tsx scripts/smoke.ts <smtp host:port> <http base url> [options]
//
// Options:
//   --domain D        recipient domain (default: first of MAILROOM_DOMAINS, else mailroom.test)
//   --key K           send K as Mailsac-Key (default: $SMOKE_API_KEY; public inboxes need none)
//   --timeout S       seconds to wait for a message to show up in the API (default 20)
//   --loop N          deliver N small messages (0: until SIGINT or SIGTERM), up to 100 per session,
//                     tolerating refused connections, dropped sessions and 4xx while the
//                     server restarts (with backoff; gives up after 90 s without a 250),
//                     then check that every message that got a 250 is readable through
//                     the API. Run it while the server is stopped and started again.
//   --concurrency C   SMTP sessions in parallel in --loop mode (default 4)
//
// One message mode sends a multipart/mixed message (text/plain in quoted-printable with
// non-ASCII text and lines that need SMTP dot-stuffing, text/html, a binary attachment)
// to a fresh address, then checks subject, sender, text body, raw bytes and attachment
// bytes byte for byte. Exit 0 with a one-line summary, or 1 listing every difference.

import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

// ---------------------------------------------------------------- arguments

interface Options {
  smtpHost: string;
  smtpPort: number;
  baseUrl: string;
  domain: string;
  key: string;
  timeoutMs: number;
  loop: number | null;
  concurrency: number;
}

function usage(msg: string): never {
  process.stderr.write(
    `smoke: ${msg}\nusage: node --import tsx scripts/smoke.ts <smtp host:port> <http base url> ` +
      `[--domain D] [--key K] [--timeout S] [--loop N] [--concurrency C]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else {
        const v = argv[++i];
        if (v === undefined) usage(`${a} needs a value`);
        flags.set(a.slice(2), v);
      }
    } else positional.push(a);
  }
  for (const k of flags.keys()) {
    if (!['domain', 'key', 'timeout', 'loop', 'concurrency'].includes(k)) usage(`unknown option --${k}`);
  }
  if (positional.length !== 2) usage('need exactly an SMTP host:port and an HTTP base URL');
  const [hostPort, base] = positional as [string, string];
  // host:port, or [v6]:port
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(hostPort);
  if (!m) usage(`not host:port: ${hostPort}`);
  let baseUrl: URL;
  try {
    baseUrl = new URL(base);
  } catch {
    usage(`not a URL: ${base}`);
  }
  const num = (k: string, dflt: number): number => {
    const v = flags.get(k);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) usage(`--${k} must be a whole number`);
    return n;
  };
  const envDomain = (process.env.MAILROOM_DOMAINS ?? '').split(',').map((d) => d.trim()).find(Boolean);
  return {
    smtpHost: m[1] ?? m[2]!,
    smtpPort: Number(m[3]),
    baseUrl: baseUrl.href.replace(/\/+$/, ''),
    domain: (flags.get('domain') ?? envDomain ?? 'mailroom.test').toLowerCase(),
    key: flags.get('key') ?? process.env.SMOKE_API_KEY ?? '',
    timeoutMs: num('timeout', 20) * 1000,
    loop: flags.has('loop') ? num('loop', 0) : null,
    concurrency: Math.max(1, num('concurrency', 4)),
  };
}

// ---------------------------------------------------------------- building the message

interface Outgoing {
  to: string;
  from: string;
  fromName: string;
  subject: string;
  messageId: string;
  text: string;
  htmlMarker: string;
  attachment: Buffer;
  attachmentName: string;
  attachmentMd5: string;
  /** The message as the server must store it: RFC 5322, CRLF, not dot-stuffed. */
  raw: Buffer;
}

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

/** RFC 2045 §6.7 quoted-printable of UTF-8 text; output lines stay under 76 characters. */
function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const bytes = Buffer.from(line, 'utf8');
    let cur = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      const last = i === bytes.length - 1;
      // Printable ASCII except '=' stays; so do space and tab, unless they end the line (rule 3).
      const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
      const enc = literal ? String.fromCharCode(b) : '=' + b.toString(16).toUpperCase().padStart(2, '0');
      if (cur.length + enc.length > 75) {
        out.push(cur + '='); // soft line break (rule 5)
        cur = '';
      }
      cur += enc;
    }
    out.push(cur);
  }
  return out.join('\r\n');
}

function base64Lines(b: Buffer): string {
  return (b.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** RFC 2047 encoded-word, split so that no encoded word exceeds 75 characters. */
function encodedWord(s: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of s) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

function buildMessage(domain: string, tag: string, attachmentSize: number): Outgoing {
  const id = randomBytes(6).toString('hex');
  const to = `smoke-${tag}-${id}@${domain}`;
  const from = 'smoke-sender@example.com';
  const fromName = 'Smoke Tester';
  const subject = `Mailroom smoke ${tag} ${id} — Grüße ✓`;
  const messageId = `<smoke-${tag}-${id}@smoke.invalid>`;
  // Lines that begin with '.' must be dot-stuffed on the wire (RFC 5321 §4.5.2)
  // and unstuffed by the server; a '.' alone on a line would end DATA early if not.
  const text = [
    `Smoke test message ${id}.`,
    'Non-ASCII survives decoding: Grüße, naïve café, 日本語, ✓.',
    '.a line that starts with a dot',
    '..two dots',
    '.',
    'The line above is a single dot.',
    'A long line: ' + 'x'.repeat(120),
    'Last line.',
  ].join('\n');
  const htmlMarker = `smoke-html-${id}`;
  const html = `<!doctype html><html><body><p id="m">${htmlMarker}</p><p><b>Bold</b> and <i>italic</i>.</p></body></html>`;
  // Every byte value, then random bytes: catches any text-mode or charset damage.
  const attachment = Buffer.concat([
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    randomBytes(Math.max(0, attachmentSize - 256)),
  ]);
  const attachmentName = `smoke-${id}.bin`;
  const outer = `mixed-${id}`;
  const inner = `alt-${id}`;
  const lines = [
    `From: "${fromName}" <${from}>`,
    `To: <${to}>`,
    `Subject: ${encodedWord(subject)}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${outer}"`,
    '',
    'This is a multi-part message in MIME format.',
    `--${outer}`,
    `Content-Type: multipart/alternative; boundary="${inner}"`,
    '',
    `--${inner}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    quotedPrintable(text),
    `--${inner}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    html,
    `--${inner}--`,
    '',
    `--${outer}`,
    `Content-Type: application/octet-stream; name="${attachmentName}"`,
    `Content-Disposition: attachment; filename="${attachmentName}"`,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(attachment),
    `--${outer}--`,
    '',
  ];
  return {
    to,
    from,
    fromName,
    subject,
    messageId,
    text,
    htmlMarker,
    attachment,
    attachmentName,
    attachmentMd5: md5(attachment),
    raw: Buffer.from(lines.join('\r\n'), 'utf8'),
  };
}

/** RFC 5321 §4.5.2: double a leading '.', then end with CRLF.CRLF. */
function dotStuff(raw: Buffer): Buffer {
  let s = raw.toString('latin1'); // byte-preserving
  if (!s.endsWith('\r\n')) s += '\r\n';
  s = s.replace(/^\./gm, '..');
  return Buffer.from(s + '.\r\n', 'latin1');
}

// ---------------------------------------------------------------- a minimal SMTP client

interface Reply {
  code: number;
  text: string;
}

class SmtpError extends Error {
  constructor(
    readonly stage: string,
    readonly reply: Reply | null,
    readonly errno: string = '',
  ) {
    super(reply ? `${stage}: ${reply.code} ${reply.text}` : `${stage}: ${errno}`);
  }
  /** 4xx, a refused/reset connection or a timeout: worth retrying later (RFC 5321 §4.2.1). */
  get transient(): boolean {
    return this.reply ? this.reply.code >= 400 && this.reply.code < 500 : true;
  }
}

class SmtpSession {
  private buf = '';
  private lines: string[] = [];
  private pending: ((r: Reply | Error) => void) | null = null;
  private ready: Reply[] = [];
  private failure: Error | null = null;
  private stage = 'connect';

  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('error', (e: NodeJS.ErrnoException) => this.fail(new SmtpError(this.stage, null, e.code ?? e.message)));
    sock.on('close', () => this.fail(new SmtpError(this.stage, null, 'connection closed')));
  }

  static open(host: string, port: number, timeoutMs: number): Promise<SmtpSession> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port });
      sock.setTimeout(timeoutMs, () => sock.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      const onErr = (e: NodeJS.ErrnoException) => reject(new SmtpError('connect', null, e.code ?? e.message));
      sock.once('error', onErr);
      sock.once('connect', () => {
        sock.off('error', onErr);
        resolve(new SmtpSession(sock));
      });
    });
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      this.lines.push(line);
      // A reply ends with "NNN " (or a bare "NNN"); "NNN-" continues it (RFC 5321 §4.2.1).
      if (/^\d{3}(?: |$)/.test(line)) {
        const reply = {
          code: Number(line.slice(0, 3)),
          text: this.lines.map((l) => l.slice(4)).join(' / '),
        };
        this.lines = [];
        this.deliver(reply);
      }
    }
  }

  private deliver(r: Reply | Error): void {
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      p(r);
    } else if (!(r instanceof Error)) this.ready.push(r);
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.deliver(e);
  }

  private read(): Promise<Reply> {
    const r = this.ready.shift();
    if (r) return Promise.resolve(r);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = (x) => (x instanceof Error ? reject(x) : resolve(x));
    });
  }

  /** Sends `data` (if any) and reads one reply, which must have the expected code class. */
  async step(stage: string, data: string | Buffer | null, expect: number): Promise<Reply> {
    this.stage = stage;
    if (data !== null) this.sock.write(data);
    const r = await this.read();
    if (Math.floor(r.code / 100) !== Math.floor(expect / 100)) throw new SmtpError(stage, r);
    return r;
  }

  close(): void {
    this.sock.destroy();
  }

  async quit(): Promise<void> {
    try {
      await this.step('QUIT', 'QUIT\r\n', 221);
    } catch {
      // the message is already accepted; a rude close after QUIT changes nothing
    }
    this.close();
  }
}

/**
 * One transaction on a fresh connection. Resolves with the final-dot reply only
 * when it is 250: that, and nothing earlier, is the server taking responsibility
 * for the message (RFC 5321 §6.1).
 */
async function deliver(o: Options, msg: Outgoing): Promise<Reply> {
  const s = await SmtpSession.open(o.smtpHost, o.smtpPort, 30_000);
  try {
    await s.step('greeting', null, 220);
    await s.step('EHLO', 'EHLO smoke.invalid\r\n', 250);
    await s.step('MAIL FROM', `MAIL FROM:<${msg.from}> SIZE=${msg.raw.length}\r\n`, 250);
    await s.step('RCPT TO', `RCPT TO:<${msg.to}>\r\n`, 250);
    await s.step('DATA', 'DATA\r\n', 354);
    const done = await s.step('end of data', dotStuff(msg.raw), 250);
    await s.quit();
    return done;
  } catch (e) {
    s.close();
    throw e;
  }
}

/**
 * Loop mode keeps a session open for several transactions, as MTAs do with a
 * queue for one host: one connection per message would soon trip the server's
 * per-address connection rate limit (421 4.7.0). Any failure drops the session.
 */
class Sender {
  private s: SmtpSession | null = null;
  private sent = 0;
  constructor(
    private readonly o: Options,
    private readonly perSession = 100,
  ) {}

  async send(msg: Outgoing): Promise<Reply> {
    try {
      if (!this.s) {
        this.s = await SmtpSession.open(this.o.smtpHost, this.o.smtpPort, 30_000);
        this.sent = 0;
        await this.s.step('greeting', null, 220);
        await this.s.step('EHLO', 'EHLO smoke.invalid\r\n', 250);
      }
      const s = this.s;
      await s.step('MAIL FROM', `MAIL FROM:<${msg.from}> SIZE=${msg.raw.length}\r\n`, 250);
      await s.step('RCPT TO', `RCPT TO:<${msg.to}>\r\n`, 250);
      await s.step('DATA', 'DATA\r\n', 354);
      const done = await s.step('end of data', dotStuff(msg.raw), 250);
      if (++this.sent >= this.perSession) await this.close();
      return done;
    } catch (e) {
      this.s?.close();
      this.s = null;
      throw e;
    }
  }

  async close(): Promise<void> {
    const s = this.s;
    this.s = null;
    if (s) await s.quit();
  }
}

// ---------------------------------------------------------------- the API side

interface ApiAddress {
  address?: string;
  name?: string;
}
interface ApiMessage {
  _id: string;
  subject?: string;
  from?: ApiAddress[];
  to?: ApiAddress[];
  attachments?: string[];
  inbox?: string;
  received?: string;
  size?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(o: Options, path: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (o.key) headers['Mailsac-Key'] = o.key;
  return fetch(o.baseUrl + path, { headers, signal: AbortSignal.timeout(10_000) });
}

/**
 * Polls the inbox until a message with `subject` appears or the deadline passes.
 * Connection errors and 5xx count as "not yet" (the server may be restarting).
 */
async function waitForMessage(o: Options, address: string, subject: string, deadline: number): Promise<{ msg: ApiMessage | null; last: string }> {
  let last = 'no response yet';
  for (;;) {
    try {
      const res = await api(o, `/api/addresses/${encodeURIComponent(address)}/messages`);
      if (res.ok) {
        const body = (await res.json()) as unknown;
        if (!Array.isArray(body)) {
          last = `list is not a JSON array: ${JSON.stringify(body).slice(0, 200)}`;
        } else {
          const found = (body as ApiMessage[]).find((m) => m.subject === subject);
          if (found) return { msg: found, last: 'found' };
          last = body.length
            ? `${body.length} message(s), none with the subject; subjects: ${JSON.stringify(body.map((m: ApiMessage) => m.subject)).slice(0, 300)}`
            : 'inbox empty';
        }
      } else {
        last = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
        if (res.status === 401 || res.status === 403) return { msg: null, last }; // waiting will not help
      }
    } catch (e) {
      last = `request failed: ${(e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`;
    }
    if (Date.now() >= deadline) return { msg: null, last };
    await sleep(250);
  }
}

async function getBytes(o: Options, path: string): Promise<{ status: number; body: Buffer; type: string }> {
  const res = await api(o, path);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') ?? '' };
}

/** Where two strings first differ, with a little context on each side. */
function firstDifference(want: string, got: string): string {
  let i = 0;
  while (i < want.length && i < got.length && want[i] === got[i]) i++;
  const ctx = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 30), i + 40));
  return `first difference at character ${i} (lengths ${want.length} vs ${got.length}):\n      want ${ctx(want)}\n      got  ${ctx(got)}`;
}

// ---------------------------------------------------------------- one message, checked thoroughly

async function smokeOnce(o: Options): Promise<number> {
  const started = Date.now();
  const msg = buildMessage(o.domain, 'once', 48 * 1024 + 17);
  // Right after `compose up` the server may not listen yet: retry what is
  // transient (refused, reset, 4xx) for up to a minute, fail on anything else.
  let reply: Reply | null = null;
  const startDeadline = Date.now() + 60_000;
  let attempts = 0;
  while (!reply) {
    attempts++;
    try {
      reply = await deliver(o, msg);
    } catch (e) {
      const transient = e instanceof SmtpError && e.transient;
      if (!transient || Date.now() >= startDeadline) {
        process.stdout.write(
          `smoke: FAIL delivering to ${msg.to} via ${o.smtpHost}:${o.smtpPort} (attempt ${attempts}): ${(e as Error).message}\n`,
        );
        return 1;
      }
      await sleep(500);
    }
  }
  const acked = Date.now();
  const { msg: listed, last } = await waitForMessage(o, msg.to, msg.subject, Date.now() + o.timeoutMs);
  if (!listed) {
    process.stdout.write(
      `smoke: FAIL message accepted (${reply.code} ${reply.text}) but not in ${o.baseUrl}/api/addresses/${msg.to}/messages ` +
        `after ${o.timeoutMs / 1000}s; last: ${last}\n`,
    );
    return 1;
  }
  const seen = Date.now();
  const problems: string[] = [];
  const id = encodeURIComponent(listed._id);
  const addr = encodeURIComponent(msg.to);

  // The listing
  if (typeof listed._id !== 'string' || !listed._id) problems.push(`_id missing: ${JSON.stringify(listed._id)}`);
  const from0 = listed.from?.[0];
  if (from0?.address?.toLowerCase() !== msg.from) problems.push(`from[0].address: want ${msg.from}, got ${JSON.stringify(from0?.address)}`);
  if (from0?.name !== msg.fromName) problems.push(`from[0].name: want ${JSON.stringify(msg.fromName)}, got ${JSON.stringify(from0?.name)}`);
  if (!listed.to?.some((a) => a.address?.toLowerCase() === msg.to)) problems.push(`to: ${msg.to} missing in ${JSON.stringify(listed.to)}`);
  if (listed.inbox?.toLowerCase() !== msg.to) problems.push(`inbox: want ${msg.to}, got ${JSON.stringify(listed.inbox)}`);
  if (!Array.isArray(listed.attachments) || !listed.attachments.includes(msg.attachmentMd5)) {
    problems.push(`attachments: want [${msg.attachmentMd5}], got ${JSON.stringify(listed.attachments)}`);
  }

  // The text body
  try {
    const t = await getBytes(o, `/api/text/${addr}/${id}`);
    const norm = (s: string) => s.replace(/\r\n/g, '\n').replace(/\s+$/, '');
    const got = norm(t.body.toString('utf8'));
    if (t.status !== 200) problems.push(`GET /api/text: HTTP ${t.status}: ${t.body.toString('utf8').slice(0, 200)}`);
    else if (got !== norm(msg.text)) problems.push(`text body differs: ${firstDifference(norm(msg.text), got)}`);
  } catch (e) {
    problems.push(`GET /api/text failed: ${(e as Error).message}`);
  }

  // The raw message: what we sent (after unstuffing), possibly behind trace headers the server added.
  try {
    const r = await getBytes(o, `/api/raw/${addr}/${id}`);
    if (r.status !== 200) problems.push(`GET /api/raw: HTTP ${r.status}`);
    else if (!r.body.subarray(r.body.length - msg.raw.length).equals(msg.raw)) {
      const prefix = r.body.indexOf(msg.raw.subarray(0, 40));
      const got = prefix >= 0 ? r.body.subarray(prefix) : r.body;
      problems.push(`raw message differs: ${firstDifference(msg.raw.toString('latin1'), got.toString('latin1'))}`);
    }
  } catch (e) {
    problems.push(`GET /api/raw failed: ${(e as Error).message}`);
  }

  // The attachment, byte for byte
  try {
    const a = await getBytes(o, `/api/addresses/${addr}/messages/${id}/attachments/${msg.attachmentMd5}`);
    if (a.status !== 200) problems.push(`GET attachment: HTTP ${a.status}: ${a.body.toString('utf8').slice(0, 200)}`);
    else if (!a.body.equals(msg.attachment)) {
      let i = 0;
      while (i < a.body.length && i < msg.attachment.length && a.body[i] === msg.attachment[i]) i++;
      problems.push(
        `attachment bytes differ: want ${msg.attachment.length} bytes md5 ${msg.attachmentMd5}, ` +
          `got ${a.body.length} bytes md5 ${md5(a.body)}, first difference at byte ${i}`,
      );
    }
  } catch (e) {
    problems.push(`GET attachment failed: ${(e as Error).message}`);
  }

  const summary =
    `${msg.to} id ${listed._id}: ${msg.raw.length} bytes, attachment ${msg.attachment.length} bytes; ` +
    `250 after ${acked - started} ms${attempts > 1 ? ` (${attempts} attempts, server starting)` : ''}, in the API ${seen - acked} ms later`;
  if (problems.length) {
    process.stdout.write(`smoke: FAIL ${summary}\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    return 1;
  }
  process.stdout.write(`smoke: ok ${summary}; subject, sender, text, raw and attachment match\n`);
  return 0;
}

// ---------------------------------------------------------------- many messages across restarts

async function smokeLoop(o: Options, count: number): Promise<number> {
  const acked: Outgoing[] = [];
  /** Refused or cut off after the final dot: the server may have stored them anyway. */
  const uncertain: Outgoing[] = [];
  const tally = new Map<string, number>();
  const note = (k: string) => tally.set(k, (tally.get(k) ?? 0) + 1);
  let permanent = 0;
  let stop = false;
  let next = 0;
  const t0 = Date.now();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`smoke: ${sig}, finishing the transactions in flight, then verifying\n`);
      stop = true;
    });
  }
  const progress = setInterval(() => {
    process.stderr.write(`smoke: ${acked.length} acknowledged; ${[...tally].map(([k, v]) => `${k} ${v}`).join(', ') || 'no failures'}\n`);
  }, 5000);

  // Without a single 250 for this long, stop sending and report what we have.
  const STALL_MS = 90_000;
  let lastAck = Date.now();
  let stalled = false;
  const worker = async () => {
    const sender = new Sender(o);
    let backoff = 250;
    while (!stop && (count === 0 || next < count)) {
      next++;
      const msg = buildMessage(o.domain, 'loop', 1024);
      try {
        await sender.send(msg);
        acked.push(msg);
        lastAck = Date.now();
        backoff = 250;
      } catch (e) {
        const err = e as SmtpError;
        // A message without a 250 was never the server's responsibility; it may or may
        // not have been stored, and it is not counted either way. Send a new one.
        next--;
        note(err.reply ? `${err.stage} ${err.reply.code}` : `${err.stage} ${err.errno}`);
        if (err instanceof SmtpError && err.stage === 'end of data') uncertain.push(msg);
        if (err instanceof SmtpError && !err.transient) {
          permanent++;
          if (permanent >= 5 && acked.length === 0) {
            process.stderr.write(`smoke: giving up, permanent failures: ${err.message}\n`);
            stop = true;
          }
        }
        if (Date.now() - lastAck > STALL_MS) {
          if (!stalled) process.stderr.write(`smoke: no 250 for ${STALL_MS / 1000} s (last failure: ${err.message}); stopping\n`);
          stalled = stop = true;
        }
        // The server is restarting or refusing: back off as an MTA would, and do not
        // keep a per-address connection rate limit tripped by retrying in a tight loop.
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 4000);
      }
    }
    await sender.close();
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  clearInterval(progress);
  const sendMs = Date.now() - t0;

  // Every acknowledged message must be readable, whatever happened in between.
  // The deadline covers a server that is still starting up again.
  const deadline = Date.now() + Math.max(o.timeoutMs, 60_000);
  const missing: string[] = [];
  let i = 0;
  const check = async () => {
    while (i < acked.length) {
      const m = acked[i++]!;
      const { msg: got, last } = await waitForMessage(o, m.to, m.subject, deadline);
      if (!got) missing.push(`${m.to} (${last})`);
      else if (!got.attachments?.includes(m.attachmentMd5)) missing.push(`${m.to}: attachment md5 ${m.attachmentMd5} not listed`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, check));

  // Not an error (RFC 5321 §6.1 binds only a 250), but a sender would retry
  // these, so any that were stored become duplicates: worth knowing.
  let storedAnyway = 0;
  for (const m of uncertain) {
    if ((await waitForMessage(o, m.to, m.subject, Date.now() + 2000)).msg) storedAnyway++;
  }

  const failures = [...tally].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none';
  const line =
    `${acked.length} acknowledged in ${(sendMs / 1000).toFixed(1)} s (${o.concurrency} sessions); ` +
    `retried failures: ${failures}; readable through the API: ${acked.length - missing.length}/${acked.length}` +
    (uncertain.length ? `; refused after the final dot but stored anyway (a retry would duplicate): ${storedAnyway}/${uncertain.length}` : '');
  if (missing.length || acked.length === 0 || stalled) {
    if (stalled) process.stdout.write(`smoke: FAIL loop stalled: the server stopped accepting mail for ${STALL_MS / 1000} s\n`);
    process.stdout.write(`smoke: FAIL loop: ${line}\n${missing.slice(0, 50).map((m) => `  - lost: ${m}\n`).join('')}`);
    if (missing.length > 50) process.stdout.write(`  ... and ${missing.length - 50} more\n`);
    return 1;
  }
  process.stdout.write(`smoke: ok loop: ${line}\n`);
  return 0;
}

const opts = parseArgs(process.argv.slice(2));
const code = opts.loop === null ? await smokeOnce(opts) : await smokeLoop(opts, opts.loop);
process.exit(code);
