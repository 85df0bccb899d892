// Your own domains (issue 12): an account adds a domain, publishes the TXT
// record it is given, and asks for a check; once the record is seen the
// domain is verified, owned by that account, private by default, and
// Mailroom accepts its mail. The DNS resolver is injected (node:dns/promises
// by default), so tests need no network.
import { randomBytes } from 'node:crypto';
import { resolveTxt as dnsResolveTxt } from 'node:dns/promises';
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import type { AccountDomain } from '../store/account-domains.js';
import { canonicalDomain } from '../policy/address.js';
import { ok, refuse, type Outcome } from './result.js';

/** Resolves the TXT records of a name: each record as its character-strings (node:dns's shape). */
export type TxtResolver = (name: string) => Promise<string[][]>;

/** over-plan: billing is on and the account's plan allows no more domains (issue 15; the words: billing.ts DOMAIN_UPGRADE_HINT). */
export type DomainRefusal = 'invalid' | 'operator-domain' | 'taken' | 'already-yours' | 'not-yours' | 'unknown' | 'too-many' | 'over-plan';

/** Domains one account may hold; a bound, not a product limit (bad-input 66 spirit: no unbounded growth from one key). */
export const MAX_DOMAINS_PER_ACCOUNT = 100;
const TXT_PREFIX = 'mailroom-verification=';

export class DomainService {
  private readonly resolveTxt: TxtResolver;

  /** credits: how many more domains the account may add (null: no limit); billing sets it (issue 15). */
  constructor(private readonly deps: { store: Store; config: Config; resolveTxt?: TxtResolver; credits?: (userId: number) => number | null }) {
    this.resolveTxt = deps.resolveTxt ?? dnsResolveTxt;
  }

  /** The TXT record that proves control of the domain. */
  static txtValue(d: AccountDomain): string {
    return TXT_PREFIX + d.token;
  }

  add(userId: number, given: string): Outcome<AccountDomain, DomainRefusal> {
    const domain = canonicalDomain(given);
    if (!domain || !domain.includes('.')) return refuse('invalid');
    const { store, config } = this.deps;
    // Config domains, and names under them, stay the operator's.
    if (config.domains.some((d) => domain === d || domain.endsWith('.' + d))) return refuse('operator-domain');
    const existing = store.domains.get(domain);
    if (existing) return refuse(existing.ownerId === userId ? 'already-yours' : 'taken');
    if (store.domains.listForOwner(userId).length >= MAX_DOMAINS_PER_ACCOUNT) return refuse('too-many');
    if ((this.deps.credits?.(userId) ?? 1) < 1) return refuse('over-plan');
    store.domains.add(domain, userId, randomBytes(16).toString('hex'));
    return ok(store.domains.get(domain)!);
  }

  /** The account's own domain, or why not. Admins may act on any. */
  owned(userId: number, admin: boolean, given: string): Outcome<AccountDomain, DomainRefusal> {
    const domain = canonicalDomain(given);
    if (!domain) return refuse('invalid');
    const d = this.deps.store.domains.get(domain);
    if (!d) return refuse('unknown');
    if (d.ownerId !== userId && !admin) return refuse('not-yours');
    return ok(d);
  }

  /**
   * Looks for the TXT record at the domain. Verified once seen; a later
   * check that does not see it leaves a verified domain verified (a DNS
   * hiccup must not hand the domain's mail to the public).
   */
  async verify(d: AccountDomain): Promise<AccountDomain> {
    const { store } = this.deps;
    let records: string[][] = [];
    let error = '';
    try {
      records = await this.resolveTxt(d.domain);
    } catch (err) {
      error = `DNS lookup failed: ${(err as { code?: string }).code ?? (err as Error).message}`;
    }
    const want = DomainService.txtValue(d);
    if (records.some((chunks) => chunks.join('').trim() === want)) store.domains.markVerified(d.domain);
    else if (d.verified === null) store.domains.markFailed(d.domain, error || `No TXT record ${want} found at ${d.domain}`);
    return store.domains.get(d.domain)!;
  }

  setPrivate(d: AccountDomain, isPrivate: boolean): AccountDomain {
    this.deps.store.domains.setPrivate(d.domain, isPrivate);
    return this.deps.store.domains.get(d.domain)!;
  }

  /** The catch-all address `*@domain`: on, every message to the domain is also filed there. */
  setCatchAll(d: AccountDomain, on: boolean): AccountDomain {
    this.deps.store.domains.setCatchAll(d.domain, on);
    return this.deps.store.domains.get(d.domain)!;
  }

  remove(d: AccountDomain): void {
    this.deps.store.domains.remove(d.domain);
  }
}
