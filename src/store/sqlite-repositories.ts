// Repositories on the SQLite engine: the synchronous repositories behind
// promises, no SQL of their own (repositories.ts has the contract).
import type { DB } from './db.js';
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
import { promised, type Repositories } from './repositories.js';

export interface SqliteRepositoryParts {
  users: UserStore;
  keys: ApiKeyStore;
  sessions: SessionStore;
  addresses: AddressStore;
  domains: AccountDomainStore;
  audit: AuditStore;
  webhooks: WebhookStore;
  billing: BillingStore;
  captureUsage: CaptureUsageStore;
  /** For addresses.dropForeignStars (the stars of an address's mail live with the messages). */
  queries: MessageQueries;
}

export function sqliteRepositories(db: DB, s: SqliteRepositoryParts): Repositories {
  const repos: Omit<Repositories, 'transaction'> = {
    users: promised(s.users, ['byId', 'byName', 'list', 'adminCount', 'create', 'createWithoutPassword', 'setPassword', 'setRole', 'checkPassword', 'eraseAccount']),
    keys: promised(s.keys, ['create', 'findByHash', 'byId', 'listForUser', 'list', 'revoke', 'touch']),
    sessions: promised(s.sessions, ['create', 'get', 'remove', 'removeForUser', 'prune']),
    addresses: {
      ...promised(s.addresses, ['get', 'ownerOf', 'listForOwner', 'list', 'countForOwner', 'reserve', 'update', 'release']),
      ...promised(s.queries, ['dropForeignStars']),
    },
    domains: promised(s.domains, [
      'get',
      'listForOwner',
      'list',
      'add',
      'markVerified',
      'markFailed',
      'setVerifiedMx',
      'updateSettings',
      'pushSettings',
      'setPrivate',
      'setCatchAll',
      'catchAllInbox',
      'verifiedOwner',
      'remove',
    ]),
    audit: promised(s.audit, ['record', 'list', 'about', 'byActor']),
    webhooks: promised(s.webhooks, ['secretFor', 'exportOf', 'forget', 'activity']),
    billing: promised(s.billing, [
      'customerOf',
      'userOfCustomer',
      'setCustomer',
      'subscription',
      'subscriptionsOf',
      'saveSubscription',
      'graceEnded',
      'markEnforced',
      'hasEvent',
      'recordEvent',
      'recordRelease',
      'releasesOf',
      'forgetAccount',
    ]),
    captureUsage: promised(s.captureUsage, ['used', 'add', 'months']),
  };
  // One transaction at a time: a second caller waits for the first to end
  // (two BEGINs on one connection would fail).
  let last: Promise<unknown> = Promise.resolve();
  return {
    ...repos,
    transaction<T>(fn: (tx: Omit<Repositories, 'transaction'>) => Promise<T>): Promise<T> {
      const run = async (): Promise<T> => {
        // IMMEDIATE, as store.transaction: the write lock up front (index.ts says why).
        db.exec('BEGIN IMMEDIATE');
        try {
          const out = await fn(repos);
          db.exec('COMMIT');
          return out;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      };
      const result = last.then(run, run);
      last = result.catch(() => undefined);
      return result;
    },
  };
}
