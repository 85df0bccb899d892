// One webhook attempt: POST to the address checkTarget approved, with the
// name only in Host and TLS SNI (no second DNS lookup), a hard deadline for
// the whole exchange, a response body read to a small cap and then dropped,
// and no redirects followed (a 3xx is a failed attempt, whatever Location says).
import http from 'node:http';
import https from 'node:https';
import type { CheckedTarget } from './safe-target.js';

/** Bytes of a receiver's answer read before the connection is dropped. */
export const RESPONSE_CAP = 16 * 1024;

export interface AttemptResult {
  status: number | null;
  latencyMs: number;
  error: string;
  /** The first bytes of the answer (up to RESPONSE_CAP), for the log line only. */
  body: string;
}

export function postJson(target: CheckedTarget, body: string, headers: Record<string, string>, timeoutMs: number): Promise<AttemptResult> {
  const started = Date.now();
  const { url } = target;
  const secure = url.protocol === 'https:';
  const hostHeader = url.host; // name[:port] as the user wrote it
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number | null, error: string, chunks: Buffer[] = []) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, error, latencyMs: Date.now() - started, body: Buffer.concat(chunks).toString('utf8', 0, RESPONSE_CAP) });
    };
    const options: https.RequestOptions = {
      host: target.address,
      family: target.family,
      port: target.port,
      method: 'POST',
      path: `${url.pathname}${url.search}`,
      headers: { ...headers, Host: hostHeader, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' },
      agent: false,
      // An IP literal host needs no lookup; this guards against any code path that would still do one.
      lookup: (_h, _o, cb) => (cb as (e: null, a: string, f: number) => void)(null, target.address, target.family),
      ...(secure && target.hostname ? { servername: target.hostname } : {}),
    };
    const req = (secure ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < RESPONSE_CAP) chunks.push(c);
        size += c.length;
        // Past the cap the rest is not worth reading: the status is known.
        if (size >= RESPONSE_CAP) {
          done(res.statusCode ?? null, statusError(res.statusCode), chunks);
          req.destroy();
        }
      });
      res.on('end', () => done(res.statusCode ?? null, statusError(res.statusCode), chunks));
      res.on('error', (err) => done(res.statusCode ?? null, err.message, chunks));
    });
    const timer = setTimeout(() => {
      done(null, `timed out after ${timeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => done(null, (err as NodeJS.ErrnoException).code ?? err.message));
    req.end(body);
  });
}

function statusError(status: number | undefined): string {
  if (status === undefined) return 'no status';
  if (status >= 200 && status < 300) return '';
  if (status >= 300 && status < 400) return `HTTP ${status}: redirects are not followed`;
  return `HTTP ${status}`;
}
