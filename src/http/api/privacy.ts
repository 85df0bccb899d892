// API routes for data rights and the audit log (issue 4), registered through
// the same ApiRegistry as the rest of the API so /api/openapi.json lists them.
// Who may: an address's data, its owner and admins (403 for another owner's
// address, bad-input 68); unowned and reserved addresses, admins; an
// account's data, the account itself and admins; the audit log, admins.
import type { Context } from 'hono';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import type { ApiRegistry } from './registry.js';
import { canonicalAddress } from '../../policy/address.js';
import { isAdmin, principalFrom, ADMIN_USERNAME, type Principal } from '../middleware/principal.js';
import { exportData, eraseData, accountDeletionRefusal, type Subject } from '../../services/data-rights.js';
import { safeEntryName } from '../../privacy/zip.js';
import { audit } from '../audit.js';
import { contentFields } from '../../log.js';

type C = Context<AppEnv>;
type ApiErr = (c: C, status: 400 | 401 | 403 | 404, message: string) => Response;

/** Turns a producer that calls emit(chunk) into a ReadableStream with backpressure; stops when the client goes away. */
export function streamFrom(run: (emit: (chunk: Buffer) => Promise<void>) => Promise<unknown>): ReadableStream<Uint8Array> {
  let wake: (() => void) | null = null;
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const emit = async (chunk: Buffer) => {
          if (cancelled) throw new Error('export cancelled');
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 1) <= 0) await new Promise<void>((r) => (wake = r));
        };
        void run(emit).then(
          () => !cancelled && controller.close(),
          (err) => !cancelled && controller.error(err),
        );
      },
      pull() {
        wake?.();
        wake = null;
      },
      cancel() {
        cancelled = true;
        wake?.();
      },
    },
    { highWaterMark: 1024 * 1024, size: (chunk) => chunk.byteLength },
  );
}

export function exportResponse(c: C, deps: WebDeps, subject: Subject, name: string): Response {
  const body = streamFrom((emit) => exportData(deps.store, subject, emit, { config: deps.config, billingRecords: (id) => deps.services.billing.exportRecords(id) }));
  const file = safeEntryName(`mailroom-export-${name.replace(/\//g, '_')}.zip`);
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': 'application/zip',
      'Content-Disposition': `attachment; filename="${file.replace(/[^\x20-\x7e]|"/g, '_')}"`,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    },
  });
}

export function registerPrivacyRoutes(reg: ApiRegistry, deps: WebDeps, apiError: ApiErr): void {
  const { store, config } = deps;
  const who = (c: C) => principalFrom(c);

  /** The address and whether this principal may export or erase it. */
  const addressRights = async (c: C): Promise<{ inbox: string; p: Extract<Principal, { kind: 'user' }> } | Response> => {
    const p = who(c);
    if (p.kind !== 'user') return apiError(c, 401, p.badKey ? 'Invalid API key' : 'An API key is required: send it in the Mailsac-Key header');
    const a = canonicalAddress(c.req.param('email') ?? '');
    if (!a) return apiError(c, 400, 'Invalid email address');
    const owner = await store.data.addresses.ownerOf(a.inbox);
    if (isAdmin(p) || (owner !== null && owner === p.user.id)) return { inbox: a.inbox, p };
    return apiError(c, 403, owner === null ? 'Only an admin can export or delete the data of an address nobody owns' : 'This address is owned by another account');
  };

  const accountRights = async (c: C): Promise<{ userId: number; username: string; p: Extract<Principal, { kind: 'user' }> } | Response> => {
    const p = who(c);
    if (p.kind !== 'user') return apiError(c, 401, p.badKey ? 'Invalid API key' : 'An API key is required: send it in the Mailsac-Key header');
    const name = c.req.param('username') ?? '';
    const u = await store.data.users.byName(name);
    if (!isAdmin(p) && (!u || u.id !== p.user.id)) return apiError(c, 403, 'You can only export or delete your own account');
    if (!u) return apiError(c, 404, 'No such user');
    return { userId: u.id, username: u.username, p };
  };

  reg.route(
    'get',
    '/addresses/:email/export',
    {
      operationId: 'ExportAddressData',
      summary: 'Mailroom: download everything held for an address (ZIP: one mbox + manifest.json)',
      tags: ['Data rights'],
      auth: 'key',
      pathDocs: { email: 'Email address' },
      produces: 'application/zip',
      responses: { 200: 'ZIP archive, streamed', 401: 'No key', 403: 'Owned by another account, or unowned and you are not an admin' },
    },
    async (c) => {
      const r = await addressRights(c);
      if (r instanceof Response) return r;
      await audit(c, deps, r.p, 'export', r.inbox, { messages: await store.reader.countAll(r.inbox) });
      return exportResponse(c, deps, { kind: 'address', inbox: r.inbox }, r.inbox);
    },
  );

  reg.route(
    'delete',
    '/addresses/:email/data',
    {
      operationId: 'DeleteAddressData',
      summary: 'Mailroom: delete everything held for an address (all its messages, starred too, with raw source, attachments and search entries)',
      description: 'Idempotent. A private address stays reserved; release it with DELETE /addresses/{email}.',
      tags: ['Data rights'],
      auth: 'key',
      pathDocs: { email: 'Email address' },
      responses: { 200: '{address, deletedMessages}', 401: 'No key', 403: 'Owned by another account, or unowned and you are not an admin' },
      returns: 'AddressDataDeleted',
    },
    async (c) => {
      const r = await addressRights(c);
      if (r instanceof Response) return r;
      const res = await eraseData({ store, eraser: deps.services.eraser }, { kind: 'address', inbox: r.inbox });
      await audit(c, deps, r.p, 'delete-data', r.inbox, { messages: res.messages });
      deps.log.info({ messages: res.messages, ...contentFields(config.log.content, { inbox: r.inbox }) }, 'address data deleted');
      return c.json({ address: r.inbox, deletedMessages: res.messages, walTruncated: res.walTruncated });
    },
  );

  reg.route(
    'get',
    '/users/:username/export',
    {
      operationId: 'ExportAccountData',
      summary: 'Mailroom: download everything held for an account: its addresses\' mail, the account, its keys (metadata) and audit entries',
      tags: ['Data rights'],
      auth: 'key',
      pathDocs: { username: 'User name (yours, or any for admins)' },
      produces: 'application/zip',
      responses: { 200: 'ZIP archive, streamed', 401: 'No key', 403: 'Not your account', 404: 'No such user' },
    },
    async (c) => {
      const r = await accountRights(c);
      if (r instanceof Response) return r;
      await audit(c, deps, r.p, 'export', r.username, { account: true });
      return exportResponse(c, deps, { kind: 'account', userId: r.userId }, r.username);
    },
  );

  reg.route(
    'delete',
    '/users/:username/data',
    {
      operationId: 'DeleteAccountData',
      summary: 'Mailroom: delete an account and everything held for it: its addresses\' mail, the addresses, keys, sessions and the user',
      tags: ['Data rights'],
      auth: 'key',
      pathDocs: { username: 'User name (yours, or any for admins)' },
      responses: { 200: '{username, deletedMessages, ...}', 400: 'The last admin, or the admin key user', 401: 'No key', 403: 'Not your account', 404: 'No such user' },
      returns: 'UserDataDeleted',
    },
    async (c) => {
      const r = await accountRights(c);
      if (r instanceof Response) return r;
      const u = (await store.data.users.byId(r.userId))!;
      const refusal = await accountDeletionRefusal(store, config, u, ADMIN_USERNAME);
      if (refusal === 'admin-key-user') return apiError(c, 400, 'The admin key acts as this user; it cannot be deleted');
      if (refusal === 'last-admin') return apiError(c, 400, 'This is the last admin');
      const res = await eraseData({ store, eraser: deps.services.eraser, billing: deps.services.billing }, { kind: 'account', userId: r.userId });
      await audit(c, deps, r.p, 'delete-data', r.username, { account: true, messages: res.messages, addresses: res.addresses, keys: res.keys });
      return c.json({ username: r.username, deletedMessages: res.messages, deletedAddresses: res.addresses, deletedKeys: res.keys, walTruncated: res.walTruncated });
    },
  );

  reg.route(
    'get',
    '/audit',
    {
      operationId: 'ListAuditLog',
      summary: 'Mailroom: the audit log, newest first (admins)',
      tags: ['Data rights'],
      auth: 'admin',
      query: [
        { name: 'limit', type: 'integer', description: 'At most this many (default 100, max 1000)' },
        { name: 'before', type: 'integer', description: 'Entries with an id below this (paging)' },
      ],
      responses: { 200: 'Entries', 401: 'No key', 403: 'Not an admin' },
      returns: 'AuditEntries',
    },
    async (c) => {
      const p = who(c);
      if (p.kind !== 'user') return apiError(c, 401, 'An API key is required: send it in the Mailsac-Key header');
      if (!isAdmin(p)) return apiError(c, 403, 'Only an admin can do this');
      const limit = Number(c.req.query('limit') ?? 100);
      const before = c.req.query('before') ? Number(c.req.query('before')) : undefined;
      const entries = await store.data.audit.list({ limit: Number.isFinite(limit) ? limit : 100, before: Number.isFinite(before) ? before : undefined });
      return c.json(entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })));
    },
  );
}
