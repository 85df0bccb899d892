// The account of the key: who it is, and its usage.
import type { Principal } from '../middleware/principal.js';
import { isAdmin } from '../middleware/principal.js';
import type { ApiKit } from './kit.js';
import { accountScope } from './params.js';
import { iso } from './json.js';

export function registerAccountRoutes(kit: ApiKit): void {
  const { reg, store, config, deps, needUser, principal } = kit;
  reg.route(
    'get',
    '/me',
    { operationId: 'User', summary: 'The account of this key', tags: ['Account'], auth: 'key', responses: { 200: 'Account', 401: 'No key' }, returns: 'CurrentUserInfo' },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps) as Extract<Principal, { kind: 'user' }>;
      return c.json({
        _id: p.user.username,
        email: p.user.email,
        role: p.user.role,
        created: iso(p.user.created),
        lastLogin: iso(p.user.lastLogin),
        apiKeyName: p.via === 'admin-key' ? 'MAILROOM_ADMIN_KEY' : (p.keyName ?? ''),
        apiAccess: 1,
        manyKeys: 1,
        // Addresses the plan still allows (issue 15); null while billing is off (no limit).
        privateAddressCredits: deps.services.billing.addressCredits(p.user),
        messageLimit: null,
      });
    },
  );

  reg.route(
    'get',
    '/me/stats',
    { operationId: 'AccountStats', summary: 'Addresses, domains and storage of the account', tags: ['Account'], auth: 'key', responses: { 200: 'Stats', 401: 'No key' }, returns: 'CurrentUserStats', query: [{ name: 'overrideAccountId', type: 'string', description: 'Ignored' }] },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps) as Extract<Principal, { kind: 'user' }>;
      const scope = accountScope(p);
      const usage = store.queries.usage(scope);
      const starred = store.queries.starred(scope, isAdmin(p) ? null : p.user.id, { limit: 1000 }).length;
      return c.json({
        addresses: store.addresses.listForOwner(p.user.id).map((a) => a.address),
        domains: config.domains,
        starredMessages: starred,
        storedMessages: usage.messages,
        inboxBytes: usage.bytes,
        lastMonthOps: 0,
        defaultDomain: config.domains[0],
      });
    },
  );
}
