// Private addresses: reserve, read, update the forwarding fields, release.
import type { Context } from 'hono';
import type { AppEnv } from '../deps.js';
import { canonicalAddress } from '../../policy/address.js';
import { isReservedInbox } from '../../policy/address.js';
import { parseForwarding } from '../../policy/forwarding.js';
import type { ReserveRefusal } from '../../services/addresses.js';
import { UPGRADE_HINT } from '../../services/billing.js';
import { planLimitError } from './plan-limit.js';
import { isAdmin, type Principal } from '../middleware/principal.js';
import type { RouteDoc } from './registry.js';
import type { ApiKit } from './kit.js';
import { apiError, MSG } from './errors.js';
import { bool, EMAIL_DOC } from './params.js';
import { addressJson, catchAllAddressJson, unownedAddressJson } from './json.js';

type C = Context<AppEnv>;

export function registerAddressRoutes(kit: ApiKit): void {
  const { reg, store, config, deps, needUser, principal, bodyOf } = kit;
  /** Why an address cannot be reserved, in the API's words (the rules: services/addresses.ts, policy/address.ts). */
  // Owned by another account is 401, as Mailsac documents it for these routes
  // (GetAddress, CreateAddress, UpdateAddress, DeleteAddress); the message routes' 403 is theirs too.
  // over-plan: 402 or 403 with the plan's numbers (plan-limit.ts).
  const REFUSAL: Record<ReserveRefusal, { status: 400 | 401 | 403; message: string }> = {
    'foreign-domain': { status: 400, message: 'Mailroom does not receive mail for this domain' },
    'reserved-local-part': { status: 400, message: 'This local part is reserved for the operator' },
    'already-yours': { status: 400, message: 'You already own this address' },
    taken: { status: 401, message: OWNED_ELSEWHERE },
    'over-plan': { status: 403, message: UPGRADE_HINT },
    'catch-all': { status: 400, message: "This is your domain's catch-all address: set its forwarding with PUT /api/addresses/{email} or PUT /api/domains/{domain}" },
  };
  const forwarding = (body: Record<string, unknown>) => parseForwarding(body, config);

  reg.route(
    'get',
    '/addresses',
    { operationId: 'ListAddresses', summary: 'Your private addresses', tags: ['Addresses'], auth: 'key', responses: { 200: 'Addresses', 401: 'No key' }, returns: 'EmailAddressList' },
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps);
      return c.json((await store.data.addresses.listForOwner(p.kind === 'user' ? p.user.id : -1)).map((a) => addressJson(a, true)));
    },
  );

  /** The address parameter and who owns it; 400/401 as needed. */
  const addressTarget = async (c: C) => {
    const no = needUser(c);
    if (no) return no;
    const a = canonicalAddress(c.req.param('email') ?? '');
    if (!a) return apiError(c, 400, MSG.badEmail);
    const p = principal(c, deps) as Extract<Principal, { kind: 'user' }>;
    const owned = await store.data.addresses.get(a.inbox);
    const mine = owned !== null && (owned.ownerId === p.user.id || isAdmin(p));
    // `*@domain` of an account's own domain is the domain's catch-all address:
    // its forwarding fields are the domain's push settings (Mailsac keeps them
    // on the catch-all address; Mailroom applies them to all of the domain's mail).
    const domain = a.local === '*' ? await store.data.domains.get(a.domain) : null;
    const catchAll = domain ? { domain, mine: domain.ownerId === p.user.id || isAdmin(p) } : null;
    return { a, p, owned, mine, catchAll };
  };

  reg.route(
    'get',
    '/addresses/:email',
    { operationId: 'GetAddress', summary: 'An address: yours, or not owned by anyone', tags: ['Addresses'], auth: 'key', pathDocs: EMAIL_DOC, responses: { 200: 'The address', 401: 'No key, or owned by another account' }, returns: 'EmailAddress' },
    async (c) => {
      const t = await addressTarget(c);
      if (t instanceof Response) return t;
      if (t.catchAll) return t.catchAll.mine ? c.json(catchAllAddressJson(t.catchAll.domain)) : apiError(c, 401, OWNED_ELSEWHERE);
      if (t.owned && !t.mine) return apiError(c, 401, OWNED_ELSEWHERE);
      return c.json(t.owned ? addressJson(t.owned, true) : unownedAddressJson(t.a.inbox));
    },
  );

  reg.route(
    'get',
    '/addresses/:email/availability',
    { operationId: 'CheckAvailability', summary: 'Whether an address can be reserved', tags: ['Addresses'], auth: 'key', pathDocs: EMAIL_DOC, responses: { 200: '{available, email, owned}', 401: 'No key' }, returns: 'EmailAddressAvailability' },
    async (c) => {
      const t = await addressTarget(c);
      if (t instanceof Response) return t;
      const refusal = await deps.services.addresses.refusal(t.p.user.id, t.a);
      // Under another account's domain every address is already that account's.
      const owned = t.owned !== null || isReservedInbox(config, t.a.inbox) || refusal === 'taken';
      return c.json({ available: !owned && refusal === null, email: t.a.inbox, owned });
    },
  );

  reg.route(
    'post',
    '/addresses/:email',
    {
      operationId: 'CreateAddress',
      summary: 'Reserve a private address: its mail, past and future, becomes readable only by you and admins',
      tags: ['Addresses'],
      auth: 'key',
      pathDocs: EMAIL_DOC,
      body: FORWARD_BODY,
      responses: { 200: 'The address', 400: 'Already yours, reserved name or foreign domain', 401: 'No key, or owned by another account', 402: 'Over the plan, billing on: upgrade on /account', 403: 'Over the plan, billing off' },
      returns: 'EmailAddress',
    },
    async (c) => {
      const t = await addressTarget(c);
      if (t instanceof Response) return t;
      const f = forwarding(bodyOf(c));
      if (typeof f === 'string') return apiError(c, 400, f);
      const r = await deps.services.addresses.reserve(t.p.user.id, t.a, f);
      if (!r.ok && r.reason === 'over-plan') return planLimitError(c, deps, t.p.user.id, 'addresses');
      if (!r.ok) return apiError(c, REFUSAL[r.reason].status, REFUSAL[r.reason].message);
      return c.json(addressJson((await store.data.addresses.get(t.a.inbox))!, true));
    },
  );

  const updateHandler = async (c: C) => {
    const t = await addressTarget(c);
    if (t instanceof Response) return t;
    if (t.catchAll) {
      if (!t.catchAll.mine) return apiError(c, 401, OWNED_ELSEWHERE);
      const f = parseForwarding(bodyOf(c), config, t.a.inbox);
      if (typeof f === 'string') return apiError(c, 400, f);
      return c.json(catchAllAddressJson(await deps.services.domains.updateSettings(t.catchAll.domain, f)));
    }
    if (t.owned && !t.mine) return apiError(c, 401, OWNED_ELSEWHERE);
    if (!t.owned) return apiError(c, 400, 'Reserve the address first (POST /api/addresses/{email})');
    const f = forwarding(bodyOf(c));
    if (typeof f === 'string') return apiError(c, 400, f);
    return c.json(addressJson((await deps.services.addresses.update(t.a.inbox, f))!, true));
  };

  // The legacy path is the same operation under another name.
  const updateDocs = {
    tags: ['Addresses'],
    auth: 'key',
    pathDocs: EMAIL_DOC,
    body: FORWARD_BODY,
    responses: { 200: 'The address', 400: 'Not reserved, or bad field', 401: 'No key, or owned by another account' },
    returns: 'EmailAddress',
  } satisfies Omit<RouteDoc, 'operationId' | 'summary'>;
  reg.route(
    'put',
    '/addresses/:email',
    {
      operationId: 'UpdateAddress',
      summary: 'Set the forwarding and push fields of a private address; for *@{your domain}, of your domain (its catch-all address)',
      ...updateDocs,
    },
    updateHandler,
  );
  reg.route(
    'put',
    '/private-address-forwarding/:email',
    { operationId: 'UpdatePrivateAddressForwarding', summary: 'Legacy spelling of PUT /addresses/{email}', ...updateDocs },
    updateHandler,
  );

  reg.route(
    'delete',
    '/addresses/:email',
    {
      operationId: 'DeleteAddress',
      summary: 'Release a private address: it becomes public again',
      description: 'Its stored mail is deleted when deleteAddressMessages=true or when the operator set privacy.releaseDeletesMail; otherwise it becomes public with the address.',
      tags: ['Addresses'],
      auth: 'key',
      pathDocs: EMAIL_DOC,
      query: [{ name: 'deleteAddressMessages', type: 'boolean', description: 'Also delete its messages' }],
      responses: { 200: '{_id, message}', 400: 'Not reserved', 401: 'No key, or owned by another account' },
      returns: 'AddressReleased',
    },
    async (c) => {
      const t = await addressTarget(c);
      if (t instanceof Response) return t;
      if (!t.owned) return apiError(c, 400, 'This address is not reserved');
      if (!t.mine) return apiError(c, 401, OWNED_ELSEWHERE);
      const { wiped } = await deps.services.addresses.release(t.a.inbox, { deleteMessages: bool(c.req.query('deleteAddressMessages')) === true });
      return c.json({ _id: t.a.inbox, message: wiped ? 'Address released and its messages deleted.' : 'Address released.' });
    },
  );

  reg.route(
    'post',
    '/private-addresses-bulk',
    {
      operationId: 'CreateAddresses',
      summary: 'Reserve up to 100 addresses at once: all or none',
      tags: ['Addresses'],
      auth: 'key',
      body: { addresses: { type: 'array', items: 'string', description: 'Email addresses' } },
      responses: { 200: 'The addresses', 400: 'Bad list, or one is unavailable (none reserved)', 401: 'No key', 402: 'Over the plan, billing on: upgrade on /account', 403: 'Over the plan, billing off' },
      returns: 'EmailAddressList',
    },
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps) as Extract<Principal, { kind: 'user' }>;
      const list = bodyOf(c).addresses;
      if (!Array.isArray(list) || list.length === 0 || list.length > 100) return apiError(c, 400, 'addresses must be a list of 1 to 100 email addresses');
      const wanted: Array<{ inbox: string; domain: string }> = [];
      for (const item of list) {
        const a = typeof item === 'string' ? canonicalAddress(item) : null;
        if (!a) return apiError(c, 400, `${MSG.badEmail}: ${String(item).slice(0, 100)}`);
        if (!wanted.some((w) => w.inbox === a.inbox)) wanted.push({ inbox: a.inbox, domain: a.domain });
      }
      const r = await deps.services.addresses.reserveAll(p.user.id, wanted);
      if (!r.ok && r.reason.reason === 'over-plan') return planLimitError(c, deps, p.user.id, 'addresses', `${r.reason.inbox}: `);
      if (!r.ok) return apiError(c, 400, `${r.reason.inbox}: ${REFUSAL[r.reason.reason].message}`);
      const reserved = await Promise.all(wanted.map((w) => store.data.addresses.get(w.inbox)));
      return c.json(reserved.map((a) => addressJson(a!, true)));
    },
  );
}

const OWNED_ELSEWHERE = 'This address is owned by another account';

const FORWARD_BODY = {
  info: { type: 'string', description: 'Your notes about this address' },
  forward: { type: 'string', description: 'Forward to this email address ("" or null: off)' },
  enablews: { type: 'boolean', description: 'Publish to web sockets' },
  webhook: { type: 'string', description: 'POST each message to this URL ("" or null: off)' },
  webhookSlack: { type: 'string', description: 'Slack webhook URL' },
  webhookSlackToFrom: { type: 'boolean', description: 'Include To and From in Slack posts' },
};
