// "Known device" cookies (issue 13, item 2): a browser that signed in to an
// account before gets a signed cookie, and with it the right password goes
// through the login throttles for that account however many strangers are
// guessing it (rate-limit.ts, LoginThrottle). The cookie holds, per account
// this browser signed in to (at most 5, newest first), the user id, a random
// device id, an expiry and an HMAC over them; it names no user and is worth
// nothing without the password. HttpOnly, SameSite=Lax, Secure (and
// __Host-) behind TLS, like the session cookie.
//
// The HMAC key lives in the data directory (known-device.key, created on
// first use, mode 0600), so devices stay known across restarts and every
// process of one installation agrees; if it cannot be read or written, a key
// per process is used and devices are simply forgotten on restart.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../../config.js';

const MAX_ACCOUNTS = 5;
const LIFETIME_S = 180 * 24 * 3600;
const ENTRY = /^(\d{1,12})\.([A-Za-z0-9_-]{16})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

interface Entry {
  userId: number;
  device: string;
  expires: number;
}

function loadKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'known-device.key');
  try {
    const k = readFileSync(file);
    if (k.length >= 32) return k;
  } catch {
    // not there yet
  }
  const k = randomBytes(32);
  try {
    writeFileSync(file, k, { mode: 0o600, flag: 'wx' });
    return k;
  } catch {
    // Another process won the race (read its key) or the directory is read-only.
    try {
      const other = readFileSync(file);
      if (other.length >= 32) return other;
    } catch {
      // fall through
    }
    return k;
  }
}

export class KnownDevices {
  private readonly key: Buffer;

  constructor(private readonly config: Pick<Config, 'http' | 'storage'>, key?: Buffer) {
    this.key = key ?? loadKey(config.storage.dataDir);
  }

  private secure(c: Context): boolean {
    return new URL(c.req.url).protocol === 'https:' || this.config.http.publicUrl.startsWith('https:');
  }

  private cookieName(c: Context): string {
    return this.secure(c) ? '__Host-mr_device' : 'mr_device';
  }

  private mac(userId: number, device: string, expires: number): string {
    return createHmac('sha256', this.key).update(`known-device\0${userId}.${device}.${expires}`).digest('base64url');
  }

  /** The valid entries of this request's cookie. */
  private entries(c: Context): Entry[] {
    const raw = getCookie(c, this.cookieName(c)) ?? '';
    const now = Math.floor(Date.now() / 1000);
    const out: Entry[] = [];
    for (const part of raw.split('~').slice(0, MAX_ACCOUNTS)) {
      const m = ENTRY.exec(part);
      if (!m) continue;
      const [, uid, device, exp, mac] = m;
      const expected = Buffer.from(this.mac(Number(uid), device!, Number(exp)));
      if (Number(exp) < now || !timingSafeEqual(Buffer.from(mac!), expected)) continue;
      out.push({ userId: Number(uid), device: device!, expires: Number(exp) });
    }
    return out;
  }

  /** This browser's device id when its cookie vouches for the user id; null otherwise. */
  deviceFor(c: Context, userId: number | undefined): string | null {
    if (userId === undefined) return null;
    return this.entries(c).find((e) => e.userId === userId)?.device ?? null;
  }

  /** After a correct password: remembers this browser for the user (renewing the expiry). */
  remember(c: Context, userId: number): void {
    const kept = this.entries(c);
    const device = kept[0]?.device ?? randomBytes(12).toString('base64url');
    const expires = Math.floor(Date.now() / 1000) + LIFETIME_S;
    const next = [{ userId, device, expires }, ...kept.filter((e) => e.userId !== userId)].slice(0, MAX_ACCOUNTS);
    const value = next.map((e) => `${e.userId}.${e.device}.${e.expires}.${this.mac(e.userId, e.device, e.expires)}`).join('~');
    setCookie(c, this.cookieName(c), value, { path: '/', httpOnly: true, sameSite: 'Lax', secure: this.secure(c), maxAge: LIFETIME_S });
  }
}

const instances = new WeakMap<object, KnownDevices>();

/** One per app instance (keyed by its store). */
export function knownDevicesFor(owner: object, config: Pick<Config, 'http' | 'storage'>): KnownDevices {
  let k = instances.get(owner);
  if (!k) instances.set(owner, (k = new KnownDevices(config)));
  return k;
}
