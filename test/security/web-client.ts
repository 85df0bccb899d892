// A cookie-keeping HTTP client for the security tests (not a test file), plus
// raw requests for paths that fetch() would normalize (`..`, `%2e%2e`).
import http from 'node:http';
import * as assert from 'uvu/assert';
import { RawSmtp } from '../helpers/raw-smtp.js';

export class Visitor {
  jar = new Map<string, string>();
  constructor(readonly base: string) {}
  get cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  async req(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await fetch(this.base + path, {
      method,
      redirect: 'manual',
      headers: { cookie: this.cookieHeader, origin: this.base, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(';');
      const eq = pair!.indexOf('=');
      const k = pair!.slice(0, eq);
      const v = pair!.slice(eq + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(sc) || v === '') this.jar.delete(k);
      else this.jar.set(k, v);
    }
    return { status: res.status, text: await res.text(), headers: res.headers };
  }
  async token(path = '/login'): Promise<string> {
    const page = await this.req('GET', path);
    const t = /name="csrf" value="([^"]+)"/.exec(page.text);
    assert.ok(t, `no csrf token on ${path}: ${page.status}`);
    return t![1]!;
  }
  async signIn(username: string, password: string): Promise<this> {
    const t = await this.token();
    const r = await this.req('POST', '/login', { csrf: t, username, password });
    assert.is(r.status, 303, `sign in as ${username}: ${r.status}`);
    return this;
  }
}

/** A request whose path is sent exactly as written. */
export function rawGet(base: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Delivers one raw message over real SMTP; returns the final reply code. */
export async function deliver(port: number, to: string | string[], raw: string | Buffer, from = 'sender@example.org'): Promise<number> {
  const c = await RawSmtp.connect(port);
  await c.hello();
  const r = await c.send(from, Array.isArray(to) ? to : [to], raw);
  await c.quit();
  return r.code;
}

export function mime(parts: { headers: string[]; html?: string; text?: string; attachments?: Array<{ name: string; type: string; body: string | Buffer; cid?: string; inline?: boolean }> }): string {
  const b = 'sec-boundary-' + Math.random().toString(36).slice(2);
  const out = [...parts.headers, 'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${b}"`, '', `--${b}`];
  if (parts.html !== undefined) out.push('Content-Type: text/html; charset=utf-8', '', parts.html);
  else out.push('Content-Type: text/plain; charset=utf-8', '', parts.text ?? 'body');
  for (const a of parts.attachments ?? []) {
    const data = Buffer.isBuffer(a.body) ? a.body : Buffer.from(a.body);
    out.push(
      `--${b}`,
      `Content-Type: ${a.type}; name="${a.name}"`,
      `Content-Disposition: ${a.inline ? 'inline' : 'attachment'}; filename="${a.name}"`,
      'Content-Transfer-Encoding: base64',
      ...(a.cid ? [`Content-ID: <${a.cid}>`] : []),
      '',
      data.toString('base64').replace(/.{76}/g, '$&\r\n'),
    );
  }
  out.push(`--${b}--`, '');
  return out.join('\r\n');
}
