// Your own domains (issue 12): an account adds a domain, publishes the TXT
// record it is given, and asks for a check; once the record is seen the
// domain is verified, owned by that account, private by default, and
// Mailroom accepts its mail. The same check looks at the MX records: one
// pointing at this Mailroom's host name sets verifiedMx, which tells the
// owner mail will arrive, but only the TXT record gates acceptance (an
// operator behind a relay or a load balancer may have MX elsewhere). The DNS
// resolvers are injected (node:dns/promises by default), so tests need no network.
import { randomBytes } from 'node:crypto';
import { resolveMx as dnsResolveMx, resolveTxt as dnsResolveTxt } from 'node:dns/promises';
import type { Config } from '../config.js';
import type { EngineStore } from '../store/engine-store.js';
import type { AccountDomain } from '../store/account-domains.js';
import type { ForwardingFields } from '../store/addresses.js';
import { canonicalDomain } from '../policy/address.js';
import { ok, refuse, type Outcome } from './result.js';

/** Resolves the TXT records of a name: each record as its character-strings (node:dns's shape). */
export type TxtResolver = (name: string) => Promise<string[][]>;
/** Resolves the MX records of a name (node:dns's shape). */
export type MxResolver = (name: string) => Promise<Array<{ exchange: string; priority: number }>>;

/** What an injected resolver that has no MX answers gives: no data, as DNS says it. */
const noMx: MxResolver = async () => {
  throw Object.assign(new Error('queryMx ENODATA'), { code: 'ENODATA' });
};

/** over-plan: billing is on and the account's plan allows no more domains (issue 15; the words: billing.ts DOMAIN_UPGRADE_HINT). */
export type DomainRefusal = 'invalid' | 'operator-domain' | 'taken' | 'already-yours' | 'not-yours' | 'unknown' | 'too-many' | 'over-plan';

/** Domains one account may hold; a bound, not a product limit (bad-input 66 spirit: no unbounded growth from one key). */
export const MAX_DOMAINS_PER_ACCOUNT = 100;
const TXT_PREFIX = 'mailroom-verification=';

export class DomainService {
  private readonly resolveTxt: TxtResolver;
  private readonly resolveMx: MxResolver;

  /** credits: how many more domains the account may add (null: no limit); billing sets it (issue 15). */
  constructor(private readonly deps: { store: EngineStore; config: Config; resolveTxt?: TxtResolver; resolveMx?: MxResolver; credits?: (userId: number) => Promise<number | null> }) {
    this.resolveTxt = deps.resolveTxt ?? dnsResolveTxt;
    // An injected resolver replaces the system's DNS altogether: a stub that
    // answers TXT only must not send the MX question to the network.
    this.resolveMx = deps.resolveMx ?? (deps.resolveTxt ? noMx : dnsResolveMx);
  }

  /** The host names an MX record may name to count as this Mailroom's: smtp.hostname and http.publicUrl's host. */
  mxHosts(): string[] {
    const { config } = this.deps;
    const hosts = new Set<string>();
    const add = (h: string) => {
      const d = canonicalDomain(h);
      if (d) hosts.add(d);
    };
    if (config.smtp.hostname) add(config.smtp.hostname);
    if (config.http.publicUrl) {
      try {
        add(new URL(config.http.publicUrl).hostname);
      } catch {
        // Validated by the config schema; nothing to add otherwise.
      }
    }
    return [...hosts];
  }

  /** The TXT record that proves control of the domain. */
  static txtValue(d: AccountDomain): string {
    return TXT_PREFIX + d.token;
  }

  async add(userId: number, given: string): Promise<Outcome<AccountDomain, DomainRefusal>> {
    const domain = canonicalDomain(given);
    if (!domain || !domain.includes('.')) return refuse('invalid');
    const { store, config } = this.deps;
    // Config domains, and names under them, stay the operator's.
    if (config.domains.some((d) => domain === d || domain.endsWith('.' + d))) return refuse('operator-domain');
    const existing = await store.data.domains.get(domain);
    if (existing) return refuse(existing.ownerId === userId ? 'already-yours' : 'taken');
    if ((await store.data.domains.listForOwner(userId)).length >= MAX_DOMAINS_PER_ACCOUNT) return refuse('too-many');
    if (((await this.deps.credits?.(userId)) ?? 1) < 1) return refuse('over-plan');
    await store.data.domains.add(domain, userId, randomBytes(16).toString('hex'));
    return ok((await store.data.domains.get(domain))!);
  }

  /** The account's own domain, or why not. Admins may act on any. */
  async owned(userId: number, admin: boolean, given: string): Promise<Outcome<AccountDomain, DomainRefusal>> {
    const domain = canonicalDomain(given);
    if (!domain) return refuse('invalid');
    const d = await this.deps.store.data.domains.get(domain);
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
    const lookupError = (err: unknown) => `DNS lookup failed: ${(err as { code?: string }).code ?? (err as Error).message}`;
    const [txt, mx] = await Promise.all([
      this.resolveTxt(d.domain).then((records) => ({ records, error: '' }), (err) => ({ records: [] as string[][], error: lookupError(err) })),
      this.resolveMx(d.domain).then((records) => ({ records, error: '' }), (err) => ({ records: [] as Array<{ exchange: string }>, error: lookupError(err) })),
    ]);
    const want = DomainService.txtValue(d);
    const txtSeen = txt.records.some((chunks) => chunks.join('').trim() === want);
    const ours = this.mxHosts();
    const mxSeen = mx.records.some((r) => ours.includes(canonicalDomain(r.exchange) ?? ''));
    // A failed MX lookup leaves the last answer standing, like a failed TXT lookup does.
    if (mxSeen || !mx.error) await store.data.domains.setVerifiedMx(d.domain, mxSeen);
    const mxNote = mxSeen
      ? ''
      : !ours.length
        ? 'MX not checked: set smtp.hostname so Mailroom knows the name its MX record should carry'
        : `No MX record at ${d.domain} points at ${ours.join(' or ')}${mx.error ? ` (${mx.error})` : ''}: mail may not reach this Mailroom`;
    if (txtSeen) await store.data.domains.markVerified(d.domain);
    const txtNote = txtSeen
      ? ''
      : d.verified === null
        ? txt.error || `No TXT record ${want} found at ${d.domain}`
        : `The TXT record ${want} was not found at ${d.domain}${txt.error ? ` (${txt.error})` : ''}; the domain stays verified`;
    // What the check saw, even on a verified domain: the owner should hear that mail may go elsewhere.
    await store.data.domains.markFailed(d.domain, [txtNote, mxNote].filter(Boolean).join('; '));
    return (await store.data.domains.get(d.domain))!;
  }

  /**
   * Sets the domain's push settings (issue 11): webhook, webhookSlack,
   * webhookSlackToFrom, enablews, forward, already checked by
   * policy/forwarding.ts parseForwarding. They apply to every message for the
   * domain and are what its catch-all address `*@domain` shows.
   */
  async updateSettings(d: AccountDomain, fields: ForwardingFields): Promise<AccountDomain> {
    return (await this.deps.store.data.domains.updateSettings(d.domain, fields))!;
  }

  async setPrivate(d: AccountDomain, isPrivate: boolean): Promise<AccountDomain> {
    await this.deps.store.data.domains.setPrivate(d.domain, isPrivate);
    return (await this.deps.store.data.domains.get(d.domain))!;
  }

  /** The catch-all address `*@domain`: on, every message to the domain is also filed there. */
  async setCatchAll(d: AccountDomain, on: boolean): Promise<AccountDomain> {
    await this.deps.store.data.domains.setCatchAll(d.domain, on);
    return (await this.deps.store.data.domains.get(d.domain))!;
  }

  async remove(d: AccountDomain): Promise<void> {
    await this.deps.store.data.domains.remove(d.domain);
  }
}
