// Mailroom-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
// (issue 11; GUIDE "Contracts"). The timestamp is inside the MAC, so a
// receiver that also checks it is recent rejects replays; v1 names the
// scheme so a later one can be sent alongside without breaking receivers.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Mailroom-Signature';

export function signatureHeader(secret: string, body: string | Buffer, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${mac(secret, t, body)}`;
}

function mac(secret: string, t: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/**
 * What a receiver does: true when some v1 matches and t is within
 * `toleranceSec` of now. Exported for tests and the docs' example.
 */
export function verifySignature(secret: string, header: string, body: string | Buffer, toleranceSec = 300, now = Date.now()): boolean {
  const parts = header.split(',').map((p) => p.trim().split('=', 2) as [string, string]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(now / 1000 - t) > toleranceSec) return false;
  const want = Buffer.from(mac(secret, t, body), 'hex');
  return parts
    .filter(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/.test(v ?? ''))
    .some(([, v]) => timingSafeEqual(Buffer.from(v, 'hex'), want));
}
