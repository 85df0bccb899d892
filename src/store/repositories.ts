// The account side of the store behind promises (issue 14): users, keys,
// sessions, owned addresses and domains, the audit log, webhooks, billing and
// capture usage, as the services, the web, push and the CLI use them. Both
// engines implement it: SQLite by putting its synchronous repositories behind
// promises (sqliteRepositories, below: no SQL of its own), PostgreSQL in
// store/pg/repositories.ts. Method names, arguments and shapes are the
// SQLite repositories' own (their doc comments are the contract), so
// converting a caller is `store.users.byName(n)` → `await store.data.users.byName(n)`.
// Only the methods used outside store/ are listed: a method the PostgreSQL
// engine does not need is not asked of it.
import type { UserStore } from './users.js';
import type { ApiKeyStore } from './api-keys.js';
import type { SessionStore } from './sessions.js';
import type { AddressStore } from './addresses.js';
import type { AccountDomainStore } from './account-domains.js';
import type { AuditStore } from './audit.js';
import type { WebhookStore } from './webhooks.js';
import type { BillingStore } from './billing.js';
import type { CaptureUsageStore } from './capture-usage.js';
import type { MessageQueries } from './message-queries.js';

/** Every method of T, answering a promise of what it returned. */
export type Promised<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

export type UserRepository = Promised<
  Pick<UserStore, 'byId' | 'byName' | 'list' | 'adminCount' | 'create' | 'createWithoutPassword' | 'setPassword' | 'setRole' | 'checkPassword' | 'eraseAccount'>
>;
export type KeyRepository = Promised<Pick<ApiKeyStore, 'create' | 'findByHash' | 'byId' | 'listForUser' | 'list' | 'revoke' | 'touch'>>;
export type SessionRepository = Promised<Pick<SessionStore, 'create' | 'get' | 'remove' | 'removeForUser' | 'prune'>>;
export type AddressRepository = Promised<Pick<AddressStore, 'get' | 'ownerOf' | 'listForOwner' | 'list' | 'countForOwner' | 'reserve' | 'update' | 'release'>> &
  // When an address becomes someone's, the stars other users put on its mail
  // go (MessageQueries.dropForeignStars): here so that it commits in one
  // transaction with the reservation (AddressService.reserve).
  Promised<Pick<MessageQueries, 'dropForeignStars'>>;
export type DomainRepository = Promised<
  Pick<
    AccountDomainStore,
    | 'get'
    | 'listForOwner'
    | 'list'
    | 'add'
    | 'markVerified'
    | 'markFailed'
    | 'setVerifiedMx'
    | 'updateSettings'
    | 'pushSettings'
    | 'setPrivate'
    | 'setCatchAll'
    | 'catchAllInbox'
    | 'verifiedOwner'
    | 'remove'
  >
>;
export type AuditRepository = Promised<Pick<AuditStore, 'record' | 'list' | 'about' | 'byActor'>>;
export type WebhookRepository = Promised<Pick<WebhookStore, 'secretFor' | 'exportOf' | 'forget' | 'activity'>>;
export type BillingRepository = Promised<
  Pick<
    BillingStore,
    | 'customerOf'
    | 'userOfCustomer'
    | 'setCustomer'
    | 'subscription'
    | 'subscriptionsOf'
    | 'saveSubscription'
    | 'graceEnded'
    | 'markEnforced'
    | 'hasEvent'
    | 'recordEvent'
    | 'recordRelease'
    | 'releasesOf'
    | 'forgetAccount'
  >
>;
export type CaptureUsageRepository = Promised<Pick<CaptureUsageStore, 'used' | 'add' | 'months'>>;

export interface Repositories {
  users: UserRepository;
  keys: KeyRepository;
  sessions: SessionRepository;
  addresses: AddressRepository;
  domains: DomainRepository;
  audit: AuditRepository;
  webhooks: WebhookRepository;
  billing: BillingRepository;
  captureUsage: CaptureUsageRepository;
  /**
   * Runs fn in one transaction with repositories bound to it: the writes of
   * several repositories commit together or not at all (a reservation and
   * its stars, a subscription and its release). On SQLite fn must await
   * only these repositories (they answer at once), so the whole runs
   * within one turn of the event loop and nothing else joins the
   * transaction; on PostgreSQL it holds one pooled connection.
   */
  transaction<T>(fn: (tx: Omit<Repositories, 'transaction'>) => Promise<T>): Promise<T>;
}

/** Each method of a synchronous repository called as it is and its result (or throw) put behind a promise. */
export function promised<T extends object, K extends keyof T>(target: T, methods: readonly K[]): Promised<Pick<T, K>> {
  const out = {} as Record<K, unknown>;
  for (const m of methods) {
    const fn = target[m] as unknown as (...args: unknown[]) => unknown;
    if (typeof fn !== 'function') throw new Error(`repository has no method ${String(m)}`);
    out[m] = (...args: unknown[]) => {
      try {
        return Promise.resolve(fn.apply(target, args));
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  return out as unknown as Promised<Pick<T, K>>;
}
