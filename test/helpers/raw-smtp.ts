// A raw-socket SMTP client for what nodemailer will not send: no SIZE, bare
// LFs, early talk, pipelining, dropping mid-DATA.
import net from 'node:net';

export interface Reply {
  code: number;
  text: string;
}

export class RawSmtp {
  private buffer = '';
  private replies: Reply[] = [];
  private waiters: Array<(r: Reply) => void> = [];
  closed = false;
  private closeWaiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => this.onData(d.toString('latin1')));
    socket.on('close', () => {
      this.closed = true;
      this.closeWaiters.forEach((w) => w());
      // Anyone still waiting gets a pseudo reply so tests fail instead of hanging.
      this.waiters.splice(0).forEach((w) => w({ code: 0, text: 'connection closed' }));
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host, localAddress }, () => resolve(new RawSmtp(s)));
      s.once('error', reject);
    });
  }

  private onData(s: string): void {
    this.buffer += s;
    let idx: number;
    while ((idx = this.buffer.indexOf('\r\n')) !== -1) {
      const line = this.buffer.slice(0, idx);
      this.buffer = this.buffer.slice(idx + 2);
      const m = line.match(/^(\d{3})([ -])(.*)$/);
      if (!m) continue;
      this.pending.push(m[3]);
      if (m[2] === ' ') {
        const reply = { code: Number(m[1]), text: this.pending.join('\n') };
        this.pending = [];
        const w = this.waiters.shift();
        if (w) w(reply);
        else this.replies.push(reply);
      }
    }
  }
  private pending: string[] = [];

  reply(timeoutMs = 10_000): Promise<Reply> {
    const r = this.replies.shift();
    if (r) return Promise.resolve(r);
    if (this.closed) return Promise.resolve({ code: 0, text: 'connection closed' });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no SMTP reply within timeout')), timeoutMs);
      this.waiters.push((rep) => {
        clearTimeout(t);
        resolve(rep);
      });
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<Reply> {
    this.write(line + '\r\n');
    return this.reply();
  }

  /** Greeting + EHLO. */
  async hello(name = 'client.test'): Promise<void> {
    const greet = await this.reply();
    if (greet.code !== 220) throw new Error(`greeting ${greet.code} ${greet.text}`);
    const ehlo = await this.command(`EHLO ${name}`);
    if (ehlo.code !== 250) throw new Error(`EHLO ${ehlo.code} ${ehlo.text}`);
  }

  /** A whole transaction; returns the reply to the final dot (or the first refusal). */
  async send(from: string, to: string[], message: string | Buffer): Promise<Reply> {
    let r = await this.command(`MAIL FROM:<${from}>`);
    if (r.code !== 250) return r;
    for (const rcpt of to) {
      r = await this.command(`RCPT TO:<${rcpt}>`);
      if (r.code !== 250) return r;
    }
    r = await this.command('DATA');
    if (r.code !== 354) return r;
    this.write(dotStuff(message));
    this.write('\r\n.\r\n');
    return this.reply();
  }

  closedPromise(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  async quit(): Promise<void> {
    if (!this.closed) {
      this.write('QUIT\r\n');
      await Promise.race([this.closedPromise(), new Promise((r) => setTimeout(r, 1000))]);
    }
    this.socket.destroy();
  }
}

/** RFC 5321 4.5.2: a line starting with "." gets one more; the message ends without its final CRLF. */
export function dotStuff(message: string | Buffer): Buffer {
  const s = Buffer.isBuffer(message) ? message.toString('latin1') : message;
  const body = s.replace(/\r\n$/, '').replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(body, 'latin1');
}

export function simpleMessage(opts: { from?: string; to: string; subject: string; body?: string; extraHeaders?: string[] }): string {
  return [
    `From: ${opts.from ?? 'Sender <sender@example.org>'}`,
    `To: ${opts.to}`,
    `Subject: ${opts.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@example.org>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    ...(opts.extraHeaders ?? []),
    '',
    opts.body ?? 'Hello from the test suite.',
    '',
  ].join('\r\n');
}
