// The account of the key: who it is, and its usage.
import type { Principal } from '../middleware/principal.js';
import { isAdmin } from '../middleware/principal.js';
import type { ApiKit } from './kit.js';
import { accountScope } from './params.js';
import { readerFor } from '../../policy/inbox-access.js';
import { iso } from './json.js';
import type { JsonOf, CurrentUserInfo, CurrentUserStats } from './schemas.js';

export function registerAccountRoutes(kit: ApiKit): void {
  const { reg, store, config, deps, needUser, principal } = kit;
  reg.route(
    'get',
    '/me',
    { operationId: 'User', summary: 'The account of this key', tags: ['Account'], auth: 'key', responses: { 200: 'Account', 401: 'No key' }, returns: 'CurrentUserInfo' },
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps) as Extract<Principal, { kind: 'user' }>;
      const me: JsonOf<typeof CurrentUserInfo> = {
        _id: p.user.username,
        email: p.user.email,
        role: p.user.role,
        created: new Date(p.user.created).toISOString(),
        lastLogin: iso(p.user.lastLogin),
        apiKeyName: p.via === 'admin-key' ? 'MAILROOM_ADMIN_KEY' : (p.keyName ?? ''),
        apiAccess: 1,
        manyKeys: 1,
        // Mailsac's integers (issue 12): the addresses the plan still allows (issue 15), 0 while
        // billing is off (no plan limits); messageLimit 0 is "no limit", as in the config.
        privateAddressCredits: (await deps.services.billing.addressCredits(p.user)) ?? 0,
        // A plan's storageMessages replaces the retention setting for the account (issue 15).
        messageLimit: (await deps.services.billing.entitlements(p.user)).storageMessages || config.retention.private.maxMessagesPerAccount,
      };
      return c.json(me);
    },
  );

  reg.route(
    'get',
    '/me/stats',
    { operationId: 'AccountStats', summary: 'Addresses, domains and storage of the account', tags: ['Account'], auth: 'key', responses: { 200: 'Stats', 401: 'No key' }, returns: 'CurrentUserStats', query: [{ name: 'overrideAccountId', type: 'string', description: 'Ignored' }] },
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps) as Extract<Principal, { kind: 'user' }>;
      const scope = accountScope(p);
      const usage = await store.reader.usage(scope);
      const starred = (await store.reader.starredIds(scope, isAdmin(p) ? null : p.user.id, { limit: 1000, reader: readerFor(p) })).length;
      const stats: JsonOf<typeof CurrentUserStats> = {
        addresses: (await store.data.addresses.listForOwner(p.user.id)).map((a) => a.address),
        domains: config.domains,
        starredMessages: starred,
        storedMessages: usage.messages,
        inboxBytes: usage.bytes,
        lastMonthOps: 0,
        defaultDomain: config.domains[0] ?? '',
      };
      return c.json(stats);
    },
  );
}
