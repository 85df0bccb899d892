// Failed API key attempts are counted per client address and refused past a
// threshold (bad-input 61); password guesses have their own model below
// (LoginThrottle, issue 13). In memory: a restart forgets, which is fine for a
// throttle whose job is to make guessing impractical. "Client" is the address
// client-ip.ts gives: the real client behind a trusted proxy.
export class FailureLimiter {
  private readonly hits = new Map<string, { count: number; reset: number }>();

  constructor(
    /** Failures allowed per client and window; tests raise it. */
    public max = 30,
    private readonly windowMs = 60_000,
    /** The clock; tests replace it. */
    public now: () => number = Date.now,
  ) {}

  /** Seconds until this client's window ends (for Retry-After); 0 when not blocked. */
  retryAfterSeconds(client: string): number {
    const h = this.hits.get(client);
    return h && this.blocked(client) ? Math.max(1, Math.ceil((h.reset - this.now()) / 1000)) : 0;
  }

  /** True while this client is over the limit. */
  blocked(client: string): boolean {
    const h = this.hits.get(client);
    if (!h) return false;
    if (this.now() > h.reset) {
      this.hits.delete(client);
      return false;
    }
    return h.count >= this.max;
  }

  reset(): void {
    this.hits.clear();
  }

  /** Forgets one client's failures (a successful sign-in clears its account's count). */
  forget(client: string): void {
    this.hits.delete(client);
  }

  fail(client: string): void {
    const now = this.now();
    const h = this.hits.get(client);
    if (!h || now > h.reset) this.hits.set(client, { count: 1, reset: now + this.windowMs });
    else h.count++;
    if (this.hits.size > 10_000) {
      for (const [k, v] of this.hits) if (now > v.reset) this.hits.delete(k);
    }
  }
}

const limiters = new WeakMap<object, FailureLimiter>();

/** One limiter per app instance (keyed by its store), so tests do not share counts. */
export function limiterFor(owner: object): FailureLimiter {
  let l = limiters.get(owner);
  if (!l) limiters.set(owner, (l = new FailureLimiter()));
  return l;
}

/**
 * Growing delays per key: the first `free` failures cost nothing, then each
 * further failure makes the key wait `baseMs`, doubling per failure up to
 * `capMs`. A key idle for `forgetMs` after its last failure starts over.
 */
export class Backoff {
  private readonly entries = new Map<string, { failures: number; last: number }>();

  constructor(
    private readonly opts: { free: number; baseMs: number; capMs: number; forgetMs: number },
    private readonly clock: () => number,
  ) {}

  /** Milliseconds this key must still wait before its next attempt; 0: go ahead. */
  waitMs(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    const now = this.clock();
    if (now - e.last > this.opts.forgetMs) {
      this.entries.delete(key);
      return 0;
    }
    if (e.failures < this.opts.free) return 0;
    const delay = Math.min(this.opts.capMs, this.opts.baseMs * 2 ** Math.min(30, e.failures - this.opts.free));
    return Math.max(0, e.last + delay - now);
  }

  fail(key: string): void {
    const now = this.clock();
    const e = this.entries.get(key);
    if (!e || now - e.last > this.opts.forgetMs) this.entries.set(key, { failures: 1, last: now });
    else {
      e.failures++;
      e.last = now;
    }
    if (this.entries.size > 10_000) {
      for (const [k, v] of this.entries) if (now - v.last > this.opts.forgetMs) this.entries.delete(k);
    }
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  reset(): void {
    this.entries.clear();
  }
}

/** Who is trying to sign in: the account name typed, the client address, and the device id when a known-device cookie vouches for this account. */
export interface LoginAttempt {
  account: string;
  client: string;
  device?: string | null;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * Password guessing, throttled so that nobody but the guesser pays for it
 * (issue 13, item 2; replaces issue 6's hard 10-per-account and
 * 30-per-address lockouts, which let one stranger lock admin out for 15
 * minutes and, behind a proxy, everyone out):
 *
 * - Per account and client: 5 free failures, then a wait of 1 s doubling per
 *   failure up to 5 min. This is what slows a guesser on one address.
 * - Per client, any account (password spraying): 30 free failures, then the
 *   same doubling up to 5 min.
 * - Per account, any client (a guesser spread over many addresses): 10 free
 *   failures, then 1 s doubling up to 1 min. It only ever slows unknown
 *   devices and is capped low, so a stranger can delay a new device's
 *   sign-in by at most a minute, never lock an account.
 * - A known device (a browser that signed in to this account before; signed
 *   HttpOnly cookie, known-device.ts) skips the three limits above for that
 *   account and has its own budget instead (10 free, then doubling to 5 min),
 *   so a stolen cookie is no licence to guess either.
 *
 * Waiting is answered with 429 and Retry-After; a 429 is not a failure, so
 * hammering during the wait does not lengthen it. Every counter forgets 15
 * minutes after its last failure. A correct password clears the account's
 * own counters (per account, per account and client, the device's), not the
 * client's spraying counter.
 */
export class LoginThrottle {
  /** The clock; tests replace it to wait out delays without sleeping. */
  now: () => number = Date.now;
  private readonly clock = () => this.now();
  readonly perAccountClient = new Backoff({ free: 5, baseMs: SECOND, capMs: 5 * MINUTE, forgetMs: 15 * MINUTE }, this.clock);
  readonly perClient = new Backoff({ free: 30, baseMs: SECOND, capMs: 5 * MINUTE, forgetMs: 15 * MINUTE }, this.clock);
  readonly perAccount = new Backoff({ free: 10, baseMs: SECOND, capMs: MINUTE, forgetMs: 15 * MINUTE }, this.clock);
  readonly perDevice = new Backoff({ free: 10, baseMs: SECOND, capMs: 5 * MINUTE, forgetMs: 15 * MINUTE }, this.clock);

  /** Seconds to wait before this attempt may be checked (for Retry-After); 0: check the password now. */
  retryAfterSeconds(a: LoginAttempt): number {
    const ms = a.device
      ? this.perDevice.waitMs(`${a.device}|${a.account}`)
      : Math.max(this.perAccountClient.waitMs(`${a.account}|${a.client}`), this.perClient.waitMs(a.client), this.perAccount.waitMs(a.account));
    return ms > 0 ? Math.ceil(ms / SECOND) : 0;
  }

  failed(a: LoginAttempt): void {
    if (a.device) {
      this.perDevice.fail(`${a.device}|${a.account}`);
      return;
    }
    this.perAccountClient.fail(`${a.account}|${a.client}`);
    this.perClient.fail(a.client);
    this.perAccount.fail(a.account);
  }

  succeeded(a: LoginAttempt): void {
    this.perAccountClient.forget(`${a.account}|${a.client}`);
    this.perAccount.forget(a.account);
    if (a.device) this.perDevice.forget(`${a.device}|${a.account}`);
  }

  reset(): void {
    for (const b of [this.perAccountClient, this.perClient, this.perAccount, this.perDevice]) b.reset();
  }
}

const loginThrottles = new WeakMap<object, LoginThrottle>();

/** One login throttle per app instance (keyed by its store), so tests do not share counts. */
export function loginThrottleFor(owner: object): LoginThrottle {
  let t = loginThrottles.get(owner);
  if (!t) loginThrottles.set(owner, (t = new LoginThrottle()));
  return t;
}
