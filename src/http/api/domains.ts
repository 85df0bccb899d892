// The domains this Mailroom receives mail for (the operator's, from the
// configuration, and those accounts added and verified, issue 12), and their messages.
import type { Context } from 'hono';
import type { AppEnv } from '../deps.js';
import { canonicalDomain } from '../../policy/address.js';
import type { Scope } from '../../store/message-queries.js';
import { isAdmin } from '../middleware/principal.js';
import { readerFor } from '../../policy/inbox-access.js';
import { planLimitError } from './plan-limit.js';
import { DOMAIN_UPGRADE_HINT } from '../../services/billing.js';
import type { ApiKit } from './kit.js';
import { apiError, MSG } from './errors.js';
import { dateParam, intParam, LIMIT, UNTIL } from './params.js';
import { accountDomainJson, catchAllAddressJson, configDomainJson } from './json.js';
import { parseForwarding } from '../../policy/forwarding.js';
import type { Principal } from '../middleware/principal.js';
import type { AccountDomain } from '../../store/account-domains.js';
import { DomainService, type DomainRefusal } from '../../services/domains.js';

// over-plan is answered 402/403 with the plan's numbers (plan-limit.ts) before this table is read.
const DOMAIN_REFUSAL: Record<DomainRefusal, [400 | 401 | 403 | 404, string]> = {
  invalid: [400, 'Invalid domain'],
  'operator-domain': [400, "This domain is the operator's (configuration)"],
  taken: [401, 'This domain was added by another account'],
  'already-yours': [400, 'You already added this domain'],
  'not-yours': [404, 'Mailroom does not receive mail for this domain'],
  unknown: [404, 'Mailroom does not receive mail for this domain'],
  'too-many': [400, 'Too many domains on this account'],
  'over-plan': [403, DOMAIN_UPGRADE_HINT],
};

type C = Context<AppEnv>;

export function registerDomainRoutes(kit: ApiKit): void {
  const { reg, store, config, deps, json, needUser, listOf, principal } = kit;
  const domainJson = (d: string) => configDomainJson(d, d === config.domains[0]);
  const userOf = (c: C) => principal(c, deps) as Extract<Principal, { kind: 'user' }>;
  /**
   * The {domain} parameter: a config domain, or an account domain its owner
   * (or an admin) asks about. Someone else's account domain is 404 like an
   * unknown one: whether a name is registered here is the owner's business.
   */
  const domainParam = (c: C): { domain: string; account: AccountDomain | null } | Response => {
    const d = canonicalDomain(c.req.param('domain') ?? '');
    if (!d) return apiError(c, 400, 'Invalid domain');
    if (config.domains.includes(d)) return { domain: d, account: null };
    const p = userOf(c);
    const acc = store.domains.get(d);
    if (acc && (acc.ownerId === p.user.id || isAdmin(p))) return { domain: d, account: acc };
    return apiError(c, 404, 'Mailroom does not receive mail for this domain');
  };
  const accountJson = (d: AccountDomain) => accountDomainJson(d, DomainService.txtValue(d));
  /** The catch-all address as Mailsac's EmailAddress (catchAll names the domain, its settings are the domain's); null when off. */
  const catchAllJson = (d: AccountDomain) => (d.catchAll ? catchAllAddressJson(d) : null);

  reg.route(
    'get',
    '/domains',
    { operationId: 'ListDomains', summary: "The domains this Mailroom receives mail for, and the account's own", tags: ['Domains'], auth: 'key', responses: { 200: 'Domains', 401: 'No key' }, returns: 'DomainsList' },
    (c) => needUser(c) ?? c.json([...config.domains.map(domainJson), ...store.domains.listForOwner(userOf(c).user.id).map(accountJson)]),
  );

  reg.route(
    'get',
    '/domains/:domain',
    { operationId: 'GetDomain', summary: 'One domain and how many messages you can see in it', tags: ['Domains'], auth: 'key', responses: { 200: '{domain, totalMessages, catchAllAddress}', 401: 'No key', 404: 'Not a domain of this Mailroom' }, returns: 'DomainInfo' },
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      const d = domainParam(c);
      if (d instanceof Response) return d;
      const p = principal(c, deps);
      // The owner of an account domain sees all of its mail, as an admin does.
      const whole = isAdmin(p) || d.account !== null;
      const scope: Scope = whole ? { kind: 'domain', domain: d.domain } : { kind: 'domain', domain: d.domain, userId: p.kind === 'user' ? p.user.id : -1 };
      return c.json({ domain: d.account ? accountJson(d.account) : domainJson(d.domain), totalMessages: await store.reader.countIn(scope, readerFor(p)), catchAllAddress: d.account ? catchAllJson(d.account) : null });
    },
  );

  reg.route(
    'post',
    '/domains/:domain',
    {
      operationId: 'AddDomain',
      summary: 'Mailroom: add your own domain; publish the records shown, then ask for verification',
      description: 'Mail for the domain is accepted once the TXT record is seen (POST /domains/{domain}/verify). A verified domain is yours and private: every address under it reads as yours.',
      tags: ['Domains'],
      auth: 'key',
      responses: { 200: 'The domain and the DNS records to set', 400: 'Not a domain, or the operator\'s', 401: 'No key, or added by another account', 402: 'Over the plan (customDomains), billing on: upgrade on /account', 403: 'Over the plan, billing off' },
      returns: 'DomainSetup',
    },
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = userOf(c);
      const r = await deps.services.domains.add(p.user.id, c.req.param('domain') ?? '');
      if (!r.ok && r.reason === 'over-plan') return planLimitError(c, deps, p.user.id, 'domains');
      if (!r.ok) {
        const [status, message] = DOMAIN_REFUSAL[r.reason];
        return apiError(c, status, message);
      }
      return c.json(setupJson(r.value));
    },
  );

  const setupJson = (d: AccountDomain) => ({
    domain: accountJson(d),
    records: [
      // The name verification's MX check looks for (smtp.hostname, else the public URL's host).
      { type: 'MX', name: d.domain, value: deps.services.domains.mxHosts()[0] ?? 'this Mailroom\'s host name', priority: 10 },
      { type: 'TXT', name: d.domain, value: DomainService.txtValue(d), priority: 0 },
    ],
  });

  const ownDomain = (c: C) => {
    const no = needUser(c);
    if (no) return no;
    const p = userOf(c);
    const r = deps.services.domains.owned(p.user.id, isAdmin(p), c.req.param('domain') ?? '');
    if (!r.ok) {
      const [status, message] = DOMAIN_REFUSAL[r.reason];
      return apiError(c, status, message);
    }
    return r.value;
  };

  reg.route(
    'get',
    '/domains/:domain/setup',
    { operationId: 'GetDomainSetup', summary: 'Mailroom: the DNS records your domain needs', tags: ['Domains'], auth: 'key', responses: { 200: 'The domain and its records', 400: 'Not a domain', 401: 'No key', 404: 'Not added' }, returns: 'DomainSetup' },
    (c) => {
      const d = ownDomain(c);
      return d instanceof Response ? d : c.json(setupJson(d));
    },
  );

  reg.route(
    'post',
    '/domains/:domain/verify',
    { operationId: 'VerifyDomain', summary: 'Mailroom: look for the TXT record now', tags: ['Domains'], auth: 'key', responses: { 200: 'The domain (verified, or lastVerificationErrors says why not)', 400: 'Not a domain', 401: 'No key', 404: 'Not added' }, returns: 'Domain' },
    async (c) => {
      const d = ownDomain(c);
      return d instanceof Response ? d : c.json(accountJson(await deps.services.domains.verify(d)));
    },
  );

  reg.route(
    'put',
    '/domains/:domain/privacy/:isPrivateBoolean',
    { operationId: 'SetDomainPrivacy', summary: 'Make your domain private (default) or public', tags: ['Domains'], auth: 'key', pathDocs: { isPrivateBoolean: 'true or false' }, responses: { 200: 'The domain', 400: 'Not true or false', 401: 'No key', 404: 'Not added' }, returns: 'Domain' },
    (c) => {
      const d = ownDomain(c);
      if (d instanceof Response) return d;
      const v = c.req.param('isPrivateBoolean');
      if (v !== 'true' && v !== 'false') return apiError(c, 400, 'isPrivateBoolean must be true or false');
      return c.json(accountJson(deps.services.domains.setPrivate(d, v === 'true')));
    },
  );

  reg.route(
    'put',
    '/domains/:domain',
    {
      operationId: 'UpdateDomain',
      summary: "Mailroom: your domain's push settings (webhook, webhookSlack, webhookSlackToFrom, enablews, forward)",
      description:
        "They apply to every message for the domain, in addition to an address's own settings (a URL gets each message once). They are also what the catch-all address *@{domain} shows, and PUT /api/addresses/*@{domain} sets the same fields. Fields left out keep their value; \"\" or null turns one off.",
      tags: ['Domains'],
      auth: 'key',
      body: DOMAIN_SETTINGS_BODY,
      responses: { 200: 'The domain', 400: 'A field is not valid', 401: 'No key', 404: 'Not added' },
      returns: 'Domain',
    },
    (c) => {
      const d = ownDomain(c);
      if (d instanceof Response) return d;
      const f = parseForwarding(kit.bodyOf(c), config, `*@${d.domain}`);
      if (typeof f === 'string') return apiError(c, 400, f);
      return c.json(accountJson(deps.services.domains.updateSettings(d, f)));
    },
  );

  reg.route(
    'put',
    '/domains/:domain/catch-all/:enabled',
    {
      operationId: 'SetDomainCatchAll',
      summary: 'Mailroom: turn the catch-all address *@domain on or off',
      description: 'On: every message to the domain is also filed under *@{domain}, readable like any inbox of the domain.',
      tags: ['Domains'],
      auth: 'key',
      pathDocs: { enabled: 'true or false' },
      responses: { 200: '{domain, totalMessages, catchAllAddress}', 400: 'Not true or false', 401: 'No key', 404: 'Not added' },
      returns: 'DomainInfo',
    },
    async (c) => {
      const d = ownDomain(c);
      if (d instanceof Response) return d;
      const v = c.req.param('enabled');
      if (v !== 'true' && v !== 'false') return apiError(c, 400, 'enabled must be true or false');
      const after = deps.services.domains.setCatchAll(d, v === 'true');
      return c.json({ domain: accountJson(after), totalMessages: await store.reader.countIn({ kind: 'domain', domain: after.domain }, readerFor(principal(c, deps))), catchAllAddress: catchAllJson(after) });
    },
  );

  reg.route(
    'delete',
    '/domains/:domain',
    { operationId: 'RemoveDomain', summary: 'Mailroom: remove your domain (its stored mail stays, public unless reserved)', tags: ['Domains'], auth: 'key', responses: { 200: '{_id, message}', 400: 'Not a domain', 401: 'No key', 404: 'Not added' }, returns: 'AddressReleased' },
    (c) => {
      const d = ownDomain(c);
      if (d instanceof Response) return d;
      deps.services.domains.remove(d);
      return c.json({ _id: d.domain, message: 'Domain removed; its mail is no longer accepted.' });
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
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      const d = domainParam(c);
      if (d instanceof Response) return d;
      const until = dateParam(c.req.query('until'));
      const limit = intParam(c.req.query('limit'), 1, 1000);
      if (until === null || limit === null) return apiError(c, 400, 'until must be a date and limit a number');
      const p = principal(c, deps);
      if (isAdmin(p) || d.account !== null) return c.json((await store.reader.listDomain(d.domain, { until, limit: limit ?? 20, reader: readerFor(p) })).map((m) => json(m, p)));
      return c.json(await listOf(await store.reader.listIds({ kind: 'domain', domain: d.domain, userId: p.kind === 'user' ? p.user.id : -1 }, { until, limit: limit ?? 20, reader: readerFor(p) }), p));
    },
  );

  reg.route(
    'post',
    '/domains/:domain/delete-all-domain-mail',
    { operationId: 'DeleteAllDomainMessages', summary: 'Delete every message of a domain (admins)', tags: ['Messages'], auth: 'admin', responses: { 204: 'Deleted', 401: 'No key', 403: 'Not an admin', 404: 'Not a domain of this Mailroom' } },
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      const d = domainParam(c);
      if (d instanceof Response && isAdmin(principal(c, deps))) return d;
      // Admins, and the owner of an account domain (Mailsac: "The domain must be owned domain").
      if (d instanceof Response || (!isAdmin(principal(c, deps)) && d.account === null)) return apiError(c, 403, MSG.admin);
      await deps.services.inboxes.deleteDomain(d.domain);
      return c.body(null, 204);
    },
  );
}

const DOMAIN_SETTINGS_BODY = {
  forward: { type: 'string', description: 'Also file every message in this inbox of this Mailroom ("" or null: off)' },
  enablews: { type: 'boolean', description: "Publish the domain's messages to web sockets watching the domain or its addresses" },
  webhook: { type: 'string', description: 'POST every message to this URL ("" or null: off)' },
  webhookSlack: { type: 'string', description: 'Slack incoming-webhook URL' },
  webhookSlackToFrom: { type: 'boolean', description: 'Include To and From in Slack posts' },
};
