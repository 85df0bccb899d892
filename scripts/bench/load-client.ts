// The bench's SMTP load client: raw sockets, no library between the bytes and
// the clock. Each sender is one loop that delivers messages back to back, on
// one persistent connection or on a new connection per message (as Postfix's
// smtp-source and many real MTAs do). Latency is measured from the moment the
// final dot is handed to the kernel to the moment its reply is parsed
// (process.hrtime), which is the time the server spends deciding whether it has
// taken responsibility for the message (RFC 5321 §6.1). Connect→greeting is
// measured separately so the cost of a new connection can be seen on its own.
import net from 'node:net';
import { Samples, cpuPercent, epochMs, nsToMs, summarize, type Summary } from './stats.js';

export interface Reply {
  code: number;
  text: string;
}

/**
 * RFC 5321 §4.5.2: a line that starts with "." gets another one. The message is
 * prepared once, so the load client spends no CPU on this per message. Returns
 * the bytes to send after the 354, final "<CRLF>.<CRLF>" included.
 */
export function dataPayload(message: Buffer | string): Buffer {
  let s = Buffer.isBuffer(message) ? message.toString('latin1') : message;
  s = s.replace(/\r?\n/g, '\r\n');
  if (s.endsWith('\r\n')) s = s.slice(0, -2);
  s = s.replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(s + '\r\n.\r\n', 'latin1');
}

/** One client connection with a minimal reply parser (multi-line replies joined). */
export class SmtpConnection {
  private buffer = '';
  private lines: string[] = [];
  private replies: Reply[] = [];
  private waiter: ((r: Reply) => void) | null = null;
  closed = false;
  error: Error | null = null;
  /** EHLO keywords, upper case. */
  extensions = new Set<string>();
  /** process.hrtime.bigint() at connect(), at the TCP connect, at the greeting. */
  tStart = 0n;
  tConnected = 0n;
  tGreeting = 0n;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err) => {
      this.error = err;
    });
    socket.on('close', () => {
      this.closed = true;
      const w = this.waiter;
      this.waiter = null;
      w?.({ code: 0, text: this.error ? this.error.message : 'connection closed' });
    });
  }

  /** Connects and waits for the greeting; the greeting is the first reply. */
  static open(host: string, port: number, localAddress?: string): Promise<{ conn: SmtpConnection; greeting: Reply }> {
    return new Promise((resolve, reject) => {
      const tStart = process.hrtime.bigint();
      const socket = net.connect({ host, port, localAddress });
      const conn = new SmtpConnection(socket);
      conn.tStart = tStart;
      const onError = (err: Error) => reject(err);
      socket.once('error', onError);
      socket.once('connect', () => {
        conn.tConnected = process.hrtime.bigint();
        socket.off('error', onError);
        conn.reply().then((greeting) => {
          conn.tGreeting = process.hrtime.bigint();
          resolve({ conn, greeting });
        }, reject);
      });
    });
  }

  private onData(d: Buffer): void {
    this.buffer += d.toString('latin1');
    let idx: number;
    while ((idx = this.buffer.indexOf('\r\n')) !== -1) {
      const line = this.buffer.slice(0, idx);
      this.buffer = this.buffer.slice(idx + 2);
      // "250-..." continues a multi-line reply; "250 ..." (or a bare "250") ends it.
      this.lines.push(line.slice(4));
      if (line.length <= 3 || line[3] !== '-') {
        const reply = { code: Number(line.slice(0, 3)) || 0, text: this.lines.join('\n') };
        this.lines = [];
        const w = this.waiter;
        if (w) {
          this.waiter = null;
          w(reply);
        } else this.replies.push(reply);
      }
    }
  }

  reply(): Promise<Reply> {
    const r = this.replies.shift();
    if (r) return Promise.resolve(r);
    if (this.closed) return Promise.resolve({ code: 0, text: this.error ? this.error.message : 'connection closed' });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async ehlo(name: string): Promise<Reply> {
    this.write(`EHLO ${name}\r\n`);
    const r = await this.reply();
    if (r.code === 250) {
      this.extensions = new Set(
        r.text
          .split('\n')
          .slice(1)
          .map((l) => l.split(' ')[0].toUpperCase()),
      );
    }
    return r;
  }

  /**
   * One transaction. With PIPELINING (RFC 2920 §3.1) MAIL, RCPT and DATA go in
   * one write, DATA last, and the body waits for the 354. Returns the reply to
   * the final dot (or the first refusal) and the dot→reply latency in ms.
   */
  async send(from: string, rcpt: string, payload: Buffer, pipelining: boolean): Promise<{ reply: Reply; latencyMs: number }> {
    const mail = `MAIL FROM:<${from}> SIZE=${payload.length}\r\n`;
    const rcptCmd = `RCPT TO:<${rcpt}>\r\n`;
    let r: Reply;
    if (pipelining) {
      this.write(mail + rcptCmd + 'DATA\r\n');
      const rm = await this.reply();
      const rr = await this.reply();
      const rd = await this.reply();
      r = rm.code !== 250 ? rm : rr.code !== 250 ? rr : rd;
      if (rm.code !== 250 || rr.code !== 250 || rd.code !== 354) {
        // The server answers DATA with 503/554 when no recipient was accepted: nothing more to send.
        if (rd.code === 354) {
          this.write('.\r\n');
          await this.reply();
        }
        return { reply: r, latencyMs: NaN };
      }
    } else {
      for (const cmd of [mail, rcptCmd]) {
        this.write(cmd);
        r = await this.reply();
        if (r.code !== 250) return { reply: r, latencyMs: NaN };
      }
      this.write('DATA\r\n');
      r = await this.reply();
      if (r.code !== 354) return { reply: r, latencyMs: NaN };
    }
    let t0 = 0n;
    let flushed = false;
    this.socket.write(payload, () => {
      // Only when the payload could not go to the kernel at once does the dot
      // leave later than the write call; then the clock starts at the flush.
      if (!flushed) t0 = process.hrtime.bigint();
    });
    t0 = process.hrtime.bigint();
    if (this.socket.writableLength === 0) flushed = true;
    const reply = await this.reply();
    const t1 = process.hrtime.bigint();
    flushed = true;
    return { reply, latencyMs: t1 > t0 ? nsToMs(t1 - t0) : 0 };
  }

  /** QUIT without waiting for the 221: the server closes, the client moves on. */
  quitNoWait(): void {
    if (this.closed) return;
    this.socket.write('QUIT\r\n');
    this.socket.once('end', () => this.socket.end());
    // Whatever the server does, the socket does not outlive the bench.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  async quit(timeoutMs = 1000): Promise<void> {
    if (!this.closed) {
      this.socket.write('QUIT\r\n');
      await Promise.race([this.reply(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export interface LoadOptions {
  host?: string;
  port: number;
  /** Several receivers (nodes of one cluster): sender i connects to ports[i % ports.length]; port is then ignored. */
  ports?: number[];
  senders: number;
  mode: 'persistent' | 'per-message';
  /** Ready-made DATA payloads (see dataPayload); senders cycle through them. */
  payloads: Buffer[];
  from?: string;
  /** Picks the recipient of the next message. */
  recipient: () => string;
  warmupMs: number;
  durationMs: number;
  /** How long in-flight messages may take to finish after the window before sockets are cut. */
  drainMs?: number;
  /** Use PIPELINING when the server offers it (default true). */
  pipelining?: boolean;
  ehloName?: string;
  /** Called at the start and the end of the measuring window (e.g. to sample server CPU). */
  onWindow?: (edge: 'start' | 'end') => void | Promise<void>;
  /**
   * Started when the window opens; the window then lasts until it settles
   * (at most durationMs). The prune bench measures ingest during a prune so.
   */
  during?: () => Promise<unknown>;
  /**
   * Offer at most this many messages per second in all (an open-loop pace
   * shared by the senders), for latency at a given rate rather than at
   * saturation; unset: each sender sends back to back.
   */
  offeredPerSecond?: number;
}

export interface LoadResult {
  /** Messages whose 250 arrived inside the window. */
  messages: number;
  windowMs: number;
  perSecond: number;
  /** Final dot → 250, ms. */
  latency: Summary;
  /** connect() → TCP connected, ms (connections opened inside the window). */
  connect: Summary;
  /** connect() → 220 greeting, ms. */
  greeting: Summary;
  /** Replies other than 250 to a message, and connection failures, during the whole run. */
  errors: number;
  errorSamples: string[];
  /** Load client CPU (user + system) over the window, % of one core. */
  clientCpuPct: number;
  bytesPerMessage: number;
  /** Messages still unanswered when the drain time ran out. */
  abandoned: number;
  /** Inside the window: stored message id (from Mailroom's "250 … stored as <id>") → when its 250 arrived (epochMs). */
  acks: Map<string, number>;
}

/** Runs the senders for warmup + duration and measures the window after the warmup. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const host = opts.host ?? '127.0.0.1';
  const from = opts.from ?? 'bench@load.example';
  const ehloName = opts.ehloName ?? 'load.example';
  const drainMs = opts.drainMs ?? 15_000;
  const usePipelining = opts.pipelining ?? true;
  const latency = new Samples();
  const acks = new Map<string, number>();
  const connect = new Samples();
  const greeting = new Samples();
  const errorSamples: string[] = [];
  let errors = 0;
  let inWindow = false;
  let stopping = false;
  let messages = 0;
  let next = 0;
  let inFlight = 0;
  const open = new Set<SmtpConnection>();

  const noteError = (what: string) => {
    errors++;
    if (errorSamples.length < 5 && !errorSamples.includes(what)) errorSamples.push(what);
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // A race against a timer must not leave the timer holding the process open.
  const raceTimer = async <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> => {
    let t: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([p, new Promise<'timeout'>((r) => (t = setTimeout(() => r('timeout'), ms)))]);
    } finally {
      clearTimeout(t);
    }
  };

  const openConn = async (port: number): Promise<SmtpConnection | null> => {
    let res: { conn: SmtpConnection; greeting: Reply };
    try {
      res = await SmtpConnection.open(host, port);
    } catch (err) {
      noteError(`connect: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return null;
    }
    const { conn } = res;
    open.add(conn);
    conn.socket.once('close', () => open.delete(conn));
    if (res.greeting.code !== 220) {
      noteError(`greeting ${res.greeting.code} ${res.greeting.text.slice(0, 60)}`);
      conn.destroy();
      return null;
    }
    if (inWindow) {
      connect.push(nsToMs(conn.tConnected - conn.tStart));
      greeting.push(nsToMs(conn.tGreeting - conn.tStart));
    }
    const e = await conn.ehlo(ehloName);
    if (e.code !== 250) {
      noteError(`EHLO ${e.code} ${e.text.slice(0, 60)}`);
      conn.destroy();
      return null;
    }
    return conn;
  };

  // Start slots spaced 1/rate apart, shared by all senders.
  let nextSlot = 0;
  const paced = async (): Promise<void> => {
    if (!opts.offeredPerSecond) return;
    const now = performance.now();
    const slot = Math.max(nextSlot, now);
    nextSlot = slot + 1000 / opts.offeredPerSecond;
    if (slot - now >= 1) await pause(slot - now);
  };

  const transaction = async (conn: SmtpConnection): Promise<boolean> => {
    await paced();
    const payload = opts.payloads[next++ % opts.payloads.length];
    inFlight++;
    try {
      const { reply, latencyMs } = await conn.send(from, opts.recipient(), payload, usePipelining && conn.extensions.has('PIPELINING'));
      if (reply.code === 250) {
        if (inWindow) {
          messages++;
          latency.push(latencyMs);
          const id = /stored as (\S+)/.exec(reply.text)?.[1];
          if (id) acks.set(id, epochMs());
        }
        return true;
      }
      noteError(`${reply.code} ${reply.text.slice(0, 60)}`);
      return false;
    } finally {
      inFlight--;
    }
  };

  const sender = async (i: number) => {
    const port = opts.ports?.length ? opts.ports[i % opts.ports.length] : opts.port;
    let conn: SmtpConnection | null = null;
    while (!stopping) {
      if (!conn || conn.closed) {
        conn = await openConn(port);
        if (!conn) {
          await pause(50);
          continue;
        }
      }
      const ok = await transaction(conn);
      if (opts.mode === 'per-message' || !ok) {
        if (ok) conn.quitNoWait();
        else conn.destroy();
        conn = null;
        if (!ok) await pause(20);
      }
    }
    if (conn) await conn.quit();
  };

  const senders = Array.from({ length: opts.senders }, (_, i) => sender(i));
  await pause(opts.warmupMs);
  await opts.onWindow?.('start');
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  inWindow = true;
  if (opts.during) {
    await raceTimer(opts.during().catch(() => {}), opts.durationMs);
  } else await pause(opts.durationMs);
  inWindow = false;
  const t1 = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpu0);
  await opts.onWindow?.('end');
  stopping = true;

  const abandonedAt = inFlight;
  const drained = (await raceTimer(Promise.all(senders), drainMs)) !== 'timeout';
  for (const c of open) c.destroy();
  const windowMs = nsToMs(t1 - t0);
  return {
    messages,
    windowMs,
    perSecond: (messages / windowMs) * 1000,
    latency: latency.summary(),
    connect: summarize(connect.values()),
    greeting: summarize(greeting.values()),
    errors,
    errorSamples,
    clientCpuPct: cpuPercent(cpu, windowMs),
    bytesPerMessage: Math.round(opts.payloads.reduce((a, p) => a + p.length, 0) / opts.payloads.length),
    abandoned: drained ? 0 : abandonedAt,
    acks,
  };
}
