// CSRF protection for the UI's state-changing forms (bad-input 63): a signed
// double-submit token. The browser holds a random value in an HttpOnly,
// SameSite=Strict session cookie; the form carries HMAC(secret, value), which
// a cross-site page can neither read nor compute. On top of that the request's
// Origin, when the browser sends one, must be ours: `null` (sandboxed frames,
// privacy-stripped requests) is refused too. GET never changes state.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

export interface CsrfOptions {
  /** Base URL the operator publishes (http.publicUrl), '' when unset. */
  publicUrl: string;
  /** HMAC key; a fresh one per process unless given (forms then expire on restart). */
  secret?: Buffer;
}

const VALUE = /^[A-Za-z0-9_-]{32,64}$/;

export class Csrf {
  private readonly secret: Buffer;

  constructor(private readonly opts: CsrfOptions) {
    this.secret = opts.secret ?? randomBytes(32);
  }

  /** Whether cookies must carry Secure: the request came over TLS or the published URL is https. */
  secure(c: Context): boolean {
    return new URL(c.req.url).protocol === 'https:' || this.opts.publicUrl.startsWith('https:');
  }

  /** `__Host-` pins the cookie to this exact origin, but browsers accept it only with Secure. */
  cookieName(c: Context): string {
    return this.secure(c) ? '__Host-mr_csrf' : 'mr_csrf';
  }

  private sign(value: string): string {
    return createHmac('sha256', this.secret).update('csrf\0' + value).digest('base64url');
  }

  /** The token for forms on this response, setting the cookie when the browser has none yet. */
  token(c: Context): string {
    const name = this.cookieName(c);
    let value = getCookie(c, name);
    if (!value || !VALUE.test(value)) {
      value = randomBytes(24).toString('base64url');
      // No Max-Age: a session cookie, gone when the browser closes; it identifies nobody.
      setCookie(c, name, value, { path: '/', httpOnly: true, sameSite: 'Strict', secure: this.secure(c) });
    }
    return this.sign(value);
  }

  /** Our own origins: the one the request reached and the published one. */
  private origins(c: Context): string[] {
    const out = [new URL(c.req.url).origin];
    if (this.opts.publicUrl) {
      try {
        out.push(new URL(this.opts.publicUrl).origin);
      } catch {
        // config validation already rejected malformed URLs
      }
    }
    return out;
  }

  /** Checks Origin and the token against the cookie. Returns the reason on failure. */
  verify(c: Context, submitted: unknown): { ok: true } | { ok: false; reason: string } {
    const origin = c.req.header('origin');
    if (origin !== undefined && !this.origins(c).includes(origin)) return { ok: false, reason: 'origin' };
    const value = getCookie(c, this.cookieName(c));
    if (!value || !VALUE.test(value)) return { ok: false, reason: 'cookie' };
    if (typeof submitted !== 'string' || submitted.length > 128) return { ok: false, reason: 'token' };
    const want = Buffer.from(this.sign(value));
    const got = Buffer.from(submitted);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: 'token' };
    return { ok: true };
  }
}
