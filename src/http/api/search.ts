// Account-wide reads: all messages of the account, filter and full-text search.
import { canonicalAddress } from '../../policy/address.js';
import { inboxAccess, readerFor } from '../../policy/inbox-access.js';
import { searchableInput, type Scope } from '../../store/message-queries.js';
import type { ApiKit } from './kit.js';
import { apiError, MSG } from './errors.js';
import { bool, dateParam, intParam, LIMIT, accountScope } from './params.js';


export function registerSearchRoutes(kit: ApiKit): void {
  const { reg, store, deps, needUser, listOf, principal } = kit;
  reg.route(
    'get',
    '/inbox',
    {
      operationId: 'ListInboxMessages',
      summary: "All messages of the account's addresses (all mail for admins), newest first",
      tags: ['Messages'],
      auth: 'key',
      query: [LIMIT, { name: 'since', type: 'string', description: 'Only messages received since this ISO 8601 date' }, { name: 'skip', type: 'integer', description: 'Skip this many' }],
      responses: { 200: '{messages, unread, limit, skip}', 401: 'No key' },
      returns: 'InboxPage',
    },
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps);
      const since = dateParam(c.req.query('since'));
      const limit = intParam(c.req.query('limit'), 1, 1000);
      const skip = intParam(c.req.query('skip'), 0, 1_000_000);
      if (since === null || limit === null || skip === null) return apiError(c, 400, 'since must be a date, limit and skip numbers');
      const scope = accountScope(p);
      const reader = readerFor(p);
      const ids = await store.reader.listIds(scope, { limit: limit ?? 20, since, skip: skip ?? 0, reader });
      return c.json({ messages: await listOf(ids, p), unread: await store.reader.unread(scope, reader), limit: limit ?? 20, skip: skip ?? 0 });
    },
  );

  reg.route(
    'get',
    '/inbox-filter',
    {
      operationId: 'FilterInboxMessages',
      summary: 'Account messages matching every given condition (at most 100)',
      tags: ['Messages'],
      auth: 'key',
      query: [
        { name: 'andSubjectIncludes', type: 'string', description: 'Subject contains this' },
        { name: 'andFrom', type: 'string', description: 'From contains this' },
        { name: 'andTo', type: 'string', description: 'To contains this, or the inbox is this' },
        { name: 'andRead', type: 'boolean', description: 'Read or unread' },
      ],
      responses: { 200: '{messages}', 400: 'No condition', 401: 'No key' },
      returns: 'MessageMatches',
    },
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      const q = (n: string) => {
        const v = c.req.query(n);
        return v === undefined || v === '' ? undefined : v.slice(0, 500);
      };
      const read = c.req.query('andRead');
      const f = { subject: q('andSubjectIncludes'), from: q('andFrom'), to: q('andTo'), read: bool(read) };
      if (read !== undefined && read !== '' && f.read === undefined) return apiError(c, 400, 'andRead must be true or false');
      if (f.subject === undefined && f.from === undefined && f.to === undefined && f.read === undefined) return apiError(c, 400, 'Give at least one of andSubjectIncludes, andFrom, andTo, andRead');
      const p = principal(c, deps);
      return c.json({ messages: await listOf(await store.reader.filter(accountScope(p), f, { limit: 100, reader: readerFor(p) }), p) });
    },
  );

  reg.route(
    'get',
    '/inbox-search',
    {
      operationId: 'SearchInboxMessages',
      summary: "Messages of the account whose subject, From or To address contains the query (at most 100, newest first)",
      description:
        'As Mailsac: the query, as typed, is a case-insensitive substring of the subject, a From address or a To address; any one matching is enough. ' +
        'Mailroom: fulltext=true searches words in subject, addresses and body instead (every word must match; word* is a prefix).',
      tags: ['Messages'],
      auth: 'key',
      query: [
        { name: 'query', type: 'string', description: 'Text to find in to, from and subject' },
        { name: 'inbox', type: 'string', description: 'Mailroom: search only this inbox (any inbox you may read)' },
        { name: 'fulltext', type: 'boolean', description: 'Mailroom: full-text word search of subject, addresses and body' },
      ],
      responses: { 200: '{query, messages}', 401: 'No key', 403: 'inbox is private and not yours' },
      returns: 'SearchResults',
    },
    async (c) => {
      const query = (c.req.query('query') ?? '').slice(0, 1000);
      if (!searchableInput(query)) return apiError(c, 400, 'query must not contain control characters');
      const inboxParam = c.req.query('inbox');
      let scope: Scope;
      if (inboxParam) {
        const a = canonicalAddress(inboxParam);
        if (!a) return apiError(c, 400, MSG.badEmail);
        const p = principal(c, deps);
        const access = await inboxAccess(deps, a.inbox, p);
        if (access.kind !== 'public' && !access.read) return apiError(c, 403, MSG.forbidden);
        if (!access.read) return apiError(c, 401, MSG.noKey);
        scope = { kind: 'inbox', inbox: a.inbox };
      } else {
        const no = needUser(c);
        if (no) return no;
        scope = accountScope(principal(c, deps));
      }
      const fulltext = bool(c.req.query('fulltext')) === true;
      const p = principal(c, deps);
      // Captured mail (issue 12): listed for the account that sent it and admins, nobody else.
      const opts = { limit: 100, reader: readerFor(p) };
      const ids = fulltext ? await store.reader.search(scope, query, opts) : await store.reader.matchAny(scope, query.trim(), opts);
      return c.json({ query, messages: await listOf(ids, p) });
    },
  );
}
