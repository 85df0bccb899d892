// Failed API key attempts are counted per client address and refused past a
// threshold (bad-input 61); password guesses have their own model below
// (LoginThrottle, issue 13). "Client" is the address client-ip.ts gives: the
// real client behind a trusted proxy.
//
// Where the counts live (issue 14): behind CounterStore, so one node keeps
// them in memory (a restart forgets, which is fine for a throttle whose job
// is to make guessing impractical) and several nodes sharing PostgreSQL keep
// them in one table (store/pg/throttle-counters.ts): a guesser spreading
// attempts over the nodes behind a load balancer gets one budget, not one
// per node. The rules below are the same either way; only the storage moves.

/** A failure counter: how many, and when it is forgotten (epoch ms: gone once now > until). */
export interface Counter {
  count: number;
  until: number;
}

/** Where the throttles' counters live; one namespace per counter kind (the same key may be counted by several). */
export interface CounterStore {
  /** The live counter, or null when there is none or it expired (now > until). */
  get(ns: string, key: string, now: number): Promise<Counter | null>;
  /**
   * One more failure, atomically (two nodes counting at once both count):
   * a missing or expired counter starts at 1 until now + ttlMs; a live one
   * counts on, its `until` moved to now + ttlMs when `slide` (forgotten
   * ttlMs after the last failure), else kept (a fixed window).
   */
  increment(ns: string, key: string, now: number, ttlMs: number, slide: boolean): Promise<Counter>;
  delete(ns: string, key: string): Promise<void>;
  /** Forgets a namespace's every counter (tests, admin reset). */
  clear(ns: string): Promise<void>;
}

/** Counters in this process's memory: one node's throttles, as before issue 14. */
export class MemoryCounters implements CounterStore {
  private readonly entries = new Map<string, Counter>();

  async get(ns: string, key: string, now: number): Promise<Counter | null> {
    return this.live(`${ns}\u0000${key}`, now);
  }

  async increment(ns: string, key: string, now: number, ttlMs: number, slide: boolean): Promise<Counter> {
    const k = `${ns}\u0000${key}`;
    const c = this.live(k, now);
    const next = c ? { count: c.count + 1, until: slide ? now + ttlMs : c.until } : { count: 1, until: now + ttlMs };
    this.entries.set(k, next);
    if (this.entries.size > 10_000) {
      for (const [key, v] of this.entries) if (now > v.until) this.entries.delete(key);
    }
    return { ...next };
  }

  async delete(ns: string, key: string): Promise<void> {
    this.entries.delete(`${ns}\u0000${key}`);
  }

  async clear(ns: string): Promise<void> {
    for (const k of this.entries.keys()) if (k.startsWith(`${ns}\u0000`)) this.entries.delete(k);
  }

  private live(k: string, now: number): Counter | null {
    const c = this.entries.get(k);
    if (!c) return null;
    if (now > c.until) {
      this.entries.delete(k);
      return null;
    }
    return c;
  }
}

export class FailureLimiter {
  constructor(
    private readonly counters: CounterStore = new MemoryCounters(),
    /** Failures allowed per client and window; tests raise it. */
    public max = 30,
    private readonly windowMs = 60_000,
    /** The clock; tests replace it. */
    public now: () => number = Date.now,
  ) {}

  /** Seconds until this client's window ends (for Retry-After); 0 when not blocked. */
  async retryAfterSeconds(client: string): Promise<number> {
    const now = this.now();
    const h = await this.counters.get('key', client, now);
    return h && h.count >= this.max ? Math.max(1, Math.ceil((h.until - now) / 1000)) : 0;
  }

  /** True while this client is over the limit. */
  async blocked(client: string): Promise<boolean> {
    const h = await this.counters.get('key', client, this.now());
    return h !== null && h.count >= this.max;
  }

  reset(): Promise<void> {
    return this.counters.clear('key');
  }

  /** Forgets one client's failures. */
  forget(client: string): Promise<void> {
    return this.counters.delete('key', client);
  }

  async fail(client: string): Promise<void> {
    await this.counters.increment('key', client, this.now(), this.windowMs, false);
  }
}

const sharedCounters = new WeakMap<object, CounterStore>();

/**
 * The counters an app instance's throttles use, set before the app is built
 * (a PostgreSQL store: PgCounterStore, shared by every node); none set: in
 * memory.
 */
export function useThrottleCounters(owner: object, counters: CounterStore): void {
  if (limiters.has(owner) || loginThrottles.has(owner)) throw new Error('useThrottleCounters: the throttles of this store exist already');
  sharedCounters.set(owner, counters);
}

const limiters = new WeakMap<object, FailureLimiter>();

/** One limiter per app instance (keyed by its store), so tests do not share counts. */
export function limiterFor(owner: object): FailureLimiter {
  let l = limiters.get(owner);
  if (!l) limiters.set(owner, (l = new FailureLimiter(sharedCounters.get(owner))));
  return l;
}

/**
 * Growing delays per key: the first `free` failures cost nothing, then each
 * further failure makes the key wait `baseMs`, doubling per failure up to
 * `capMs`. A key idle for `forgetMs` after its last failure starts over.
 * Stored as a counter forgotten forgetMs after the last failure, so the last
 * failure's time is its `until` minus forgetMs.
 */
export class Backoff {
  constructor(
    private readonly counters: CounterStore,
    /** The counters' namespace. */
    private readonly ns: string,
    private readonly opts: { free: number; baseMs: number; capMs: number; forgetMs: number },
    private readonly clock: () => number,
  ) {}

  /** Milliseconds this key must still wait before its next attempt; 0: go ahead. */
  async waitMs(key: string): Promise<number> {
    const now = this.clock();
    const e = await this.counters.get(this.ns, key, now);
    if (!e || e.count < this.opts.free) return 0;
    const last = e.until - this.opts.forgetMs;
    const delay = Math.min(this.opts.capMs, this.opts.baseMs * 2 ** Math.min(30, e.count - this.opts.free));
    return Math.max(0, last + delay - now);
  }

  async fail(key: string): Promise<void> {
    await this.counters.increment(this.ns, key, this.clock(), this.opts.forgetMs, true);
  }

  forget(key: string): Promise<void> {
    return this.counters.delete(this.ns, key);
  }

  reset(): Promise<void> {
    return this.counters.clear(this.ns);
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
  readonly perAccountClient: Backoff;
  readonly perClient: Backoff;
  readonly perAccount: Backoff;
  readonly perDevice: Backoff;

  constructor(counters: CounterStore = new MemoryCounters()) {
    this.perAccountClient = new Backoff(counters, 'login-account-client', { free: 5, baseMs: SECOND, capMs: 5 * MINUTE, forgetMs: 15 * MINUTE }, this.clock);
    this.perClient = new Backoff(counters, 'login-client', { free: 30, baseMs: SECOND, capMs: 5 * MINUTE, forgetMs: 15 * MINUTE }, this.clock);
    this.perAccount = new Backoff(counters, 'login-account', { free: 10, baseMs: SECOND, capMs: MINUTE, forgetMs: 15 * MINUTE }, this.clock);
    this.perDevice = new Backoff(counters, 'login-device', { free: 10, baseMs: SECOND, capMs: 5 * MINUTE, forgetMs: 15 * MINUTE }, this.clock);
  }

  /** Seconds to wait before this attempt may be checked (for Retry-After); 0: check the password now. */
  async retryAfterSeconds(a: LoginAttempt): Promise<number> {
    const ms = a.device
      ? await this.perDevice.waitMs(`${a.device}|${a.account}`)
      : Math.max(...(await Promise.all([this.perAccountClient.waitMs(`${a.account}|${a.client}`), this.perClient.waitMs(a.client), this.perAccount.waitMs(a.account)])));
    return ms > 0 ? Math.ceil(ms / SECOND) : 0;
  }

  async failed(a: LoginAttempt): Promise<void> {
    if (a.device) {
      await this.perDevice.fail(`${a.device}|${a.account}`);
      return;
    }
    await Promise.all([this.perAccountClient.fail(`${a.account}|${a.client}`), this.perClient.fail(a.client), this.perAccount.fail(a.account)]);
  }

  async succeeded(a: LoginAttempt): Promise<void> {
    await Promise.all([
      this.perAccountClient.forget(`${a.account}|${a.client}`),
      this.perAccount.forget(a.account),
      a.device ? this.perDevice.forget(`${a.device}|${a.account}`) : undefined,
    ]);
  }

  async reset(): Promise<void> {
    await Promise.all([this.perAccountClient, this.perClient, this.perAccount, this.perDevice].map((b) => b.reset()));
  }
}

const loginThrottles = new WeakMap<object, LoginThrottle>();

/** One login throttle per app instance (keyed by its store), so tests do not share counts. */
export function loginThrottleFor(owner: object): LoginThrottle {
  let t = loginThrottles.get(owner);
  if (!t) loginThrottles.set(owner, (t = new LoginThrottle(sharedCounters.get(owner))));
  return t;
}
