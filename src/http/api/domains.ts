// The domains this Mailroom receives mail for, and their messages.
import type { Context } from 'hono';
import type { AppEnv } from '../deps.js';
import { canonicalDomain } from '../../policy/address.js';
import type { Scope } from '../../store/message-queries.js';
import { isAdmin } from '../middleware/principal.js';
import type { ApiKit } from './kit.js';
import { apiError, MSG } from './errors.js';
import { dateParam, intParam, LIMIT, UNTIL } from './params.js';
import { configDomainJson } from './json.js';

type C = Context<AppEnv>;

export function registerDomainRoutes(kit: ApiKit): void {
  const { reg, store, config, deps, json, needUser, listOf, principal } = kit;
  const domainJson = (d: string) => configDomainJson(d, d === config.domains[0]);
  const domainParam = (c: C): string | Response => {
    const d = canonicalDomain(c.req.param('domain') ?? '');
    if (!d) return apiError(c, 400, 'Invalid domain');
    if (!config.domains.includes(d)) return apiError(c, 404, 'Mailroom does not receive mail for this domain');
    return d;
  };

  reg.route(
    'get',
    '/domains',
    { operationId: 'ListDomains', summary: 'The domains this Mailroom receives mail for', tags: ['Domains'], auth: 'key', responses: { 200: 'Domains', 401: 'No key' }, returns: 'DomainsList' },
    (c) => needUser(c) ?? c.json(config.domains.map(domainJson)),
  );

  reg.route(
    'get',
    '/domains/:domain',
    { operationId: 'GetDomain', summary: 'One domain and how many messages you can see in it', tags: ['Domains'], auth: 'key', responses: { 200: '{domain, totalMessages, catchAllAddress}', 401: 'No key', 404: 'Not a domain of this Mailroom' }, returns: 'DomainInfo' },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const d = domainParam(c);
      if (d instanceof Response) return d;
      const p = principal(c, deps);
      const scope: Scope = isAdmin(p) ? { kind: 'domain', domain: d } : { kind: 'domain', domain: d, userId: p.kind === 'user' ? p.user.id : -1 };
      return c.json({ domain: domainJson(d), totalMessages: store.queries.count(scope), catchAllAddress: null });
    },
  );

  reg.route(
    'get',
    '/domains/:domain/messages',
    {
      operationId: 'ListDomainMessages',
      summary: 'Messages of a domain, newest first: all of it for admins, your addresses in it for users',
      tags: ['Messages'],
      auth: 'key',
      query: [UNTIL, LIMIT],
      responses: { 200: 'Messages', 401: 'No key', 404: 'Not a domain of this Mailroom' },
      returns: 'EmailMessageList',
    },
    (c) => {
      const no = needUser(c);
      if (no) return no;
      const d = domainParam(c);
      if (d instanceof Response) return d;
      const until = dateParam(c.req.query('until'));
      const limit = intParam(c.req.query('limit'), 1, 1000);
      if (until === null || limit === null) return apiError(c, 400, 'until must be a date and limit a number');
      const p = principal(c, deps);
      if (isAdmin(p)) return c.json(store.messages.listDomain(d, { until, limit: limit ?? 20 }).map((m) => json(m, p)));
      return c.json(listOf(store.queries.list({ kind: 'domain', domain: d, userId: p.kind === 'user' ? p.user.id : -1 }, { until, limit: limit ?? 20 }), p));
    },
  );

  reg.route(
    'post',
    '/domains/:domain/delete-all-domain-mail',
    { operationId: 'DeleteAllDomainMessages', summary: 'Delete every message of a domain (admins)', tags: ['Messages'], auth: 'admin', responses: { 204: 'Deleted', 401: 'No key', 403: 'Not an admin', 404: 'Not a domain of this Mailroom' } },
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      if (!isAdmin(principal(c, deps))) return apiError(c, 403, MSG.admin);
      const d = domainParam(c);
      if (d instanceof Response) return d;
      await deps.services.inboxes.deleteDomain(d);
      return c.body(null, 204);
    },
  );
}
