// Failed key and password attempts are counted per client address and slowed
// down past a threshold (bad-input 61). In memory: a restart forgets, which
// is fine for a throttle whose job is to make guessing impractical.
export class FailureLimiter {
  private readonly hits = new Map<string, { count: number; reset: number }>();

  constructor(
    /** Failures allowed per client and window; tests raise it. */
    public max = 30,
    private readonly windowMs = 60_000,
  ) {}

  /** True while this client is over the limit. */
  blocked(client: string): boolean {
    const h = this.hits.get(client);
    if (!h) return false;
    if (Date.now() > h.reset) {
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
    const now = Date.now();
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

const accountLimiters = new WeakMap<object, FailureLimiter>();

/**
 * Failed sign-ins per account (issue 6), whatever address they come from: a
 * guesser spread over many addresses still gets 10 tries per user name per
 * 15 minutes. Keyed by user name, so unknown names are limited the same way
 * and the answer does not tell which names exist.
 */
export function accountLimiterFor(owner: object): FailureLimiter {
  let l = accountLimiters.get(owner);
  if (!l) accountLimiters.set(owner, (l = new FailureLimiter(10, 15 * 60_000)));
  return l;
}
