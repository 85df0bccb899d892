// The receive path's lookups without a query each (issue 16). Every
// recipient asked the main thread's SQLite connection for its domain's
// catch-all, and every message for its recipients' forwards (owned address,
// account domain): three indexed queries per message, yet a main-thread
// --cpu-prof under paced load (the writer thread committing many times a
// second beside them) had them at 6-7% of its busy time, catchAllInbox alone
// about 50 µs a call.
//
// When a cached answer is dropped:
// - Any write to addresses or account_domains on this connection (this
//   process: the API, the pages, billing, data rights, a user deleted with
//   its rows by ON DELETE CASCADE) drops every entry at once: TEMP triggers
//   on this connection call back into JS (watchLookupTables). So a domain
//   removed or an address released in this process is seen by the very next
//   RCPT, and tests that change a row and then send see it too.
// - Writes by another process on the same file (the CLI: `mailroom domain
//   remove`, `address release`) do not fire this connection's triggers; they
//   are seen once the entry is LOOKUP_TTL_MS old. A second is argued in
//   docs/performance.md (Run T): a domain's removal takes effect elsewhere on
//   DNS time (MX TTLs of minutes to hours), and the senders of that second
//   are the ones whose mail was already on its way; SQLite's PRAGMA
//   data_version cannot stand in, because the writer thread's commits (many
//   a second under load) change it too.
// The writer thread never writes these tables. Only the SMTP receiver reads
// through the cache; the web and the API keep reading the store directly.
import type { DB } from './db.js';
import type { AddressStore } from './addresses.js';
import type { AccountDomainStore } from './account-domains.js';
import type { AddressRepository, DomainRepository } from './repositories.js';

/** What the receiver asks per recipient and per message (smtp/receiver-ownership.ts, push/forwarding.ts). */
export interface RecipientLookups {
  addresses: Pick<AddressRepository, 'get' | 'ownerOf'>;
  domains: Pick<DomainRepository, 'verifiedOwner' | 'catchAllInbox' | 'pushSettings'>;
}

/** How long a cached answer may miss another process's write (see above). */
export const LOOKUP_TTL_MS = 1000;

/** Distinct keys held at most; past it the cache starts over (a stranger can name any local part at a config domain). */
const MAX_ENTRIES = 10_000;

export class LookupCache {
  private readonly entries = new Map<string, { value: unknown; until: number }>();

  constructor(
    private readonly ttlMs = LOOKUP_TTL_MS,
    private readonly maxEntries = MAX_ENTRIES,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A watched table changed: every answer may be stale. */
  changed(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached answer for key, else load()'s (kept unless `keep` is false; a throw is not). */
  get<T>(key: string, load: () => T, keep = true): T {
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > t) return hit.value as T;
    const value = load();
    if (!keep) return value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, until: t + this.ttlMs });
    return value;
  }
}

/**
 * Calls onChange after every row written to the tables the lookups read, by
 * this connection (TEMP triggers live and fire on it alone). Cascaded
 * deletes fire them too.
 */
export function watchLookupTables(db: DB, onChange: () => void): void {
  db.function('mailroom_lookup_changed', { deterministic: false, varargs: false }, () => {
    onChange();
    return null;
  });
  for (const table of ['addresses', 'account_domains']) {
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS lookup_${table}_${op.toLowerCase()} AFTER ${op} ON main.${table} BEGIN SELECT mailroom_lookup_changed(); END`);
    }
  }
}

/**
 * The lookups through the cache. Answers are shared between callers: they
 * are read, never changed (withForwards reads `forward`, the receiver the rest).
 */
export function cachedLookups(
  stores: { addresses: AddressStore; domains: AccountDomainStore },
  cache: LookupCache,
  /** Whether the connection is in a transaction now (better-sqlite3's db.inTransaction). */
  inTransaction: () => boolean,
): RecipientLookups {
  const { addresses, domains } = stores;
  // Promise.resolve of a value: what the repositories answer, minus the query.
  const cached = <T>(key: string, load: () => T): Promise<T> => {
    try {
      // Inside a transaction (the repositories' async one lets other callers'
      // statements run between its awaits) a read may see rows that are then
      // rolled back: answered, not kept.
      return Promise.resolve(cache.get(key, load, !inTransaction()));
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return {
    addresses: {
      get: (inbox) => cached(`a:${inbox}`, () => addresses.get(inbox)),
      ownerOf: (inbox) => cached(`o:${inbox}`, () => addresses.ownerOf(inbox)),
    },
    domains: {
      verifiedOwner: (domain) => cached(`v:${domain}`, () => domains.verifiedOwner(domain)),
      catchAllInbox: (domain) => cached(`c:${domain}`, () => domains.catchAllInbox(domain)),
      pushSettings: (domain) => cached(`p:${domain}`, () => domains.pushSettings(domain)),
    },
  };
}
