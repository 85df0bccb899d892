// Messages of one inbox (Mailsac's Messages resource): list, count, get,
// delete, star, label, folder and read flags. Who may: the inbox guard (kit.ts).
import type { Context } from 'hono';
import type { AppEnv } from '../deps.js';
import type { ApiKit } from './kit.js';
import { FOLDERS, MAX_LABEL, MAX_LABELS, validLabel } from '../../services/inboxes.js';
import { apiError, MSG } from './errors.js';
import { readerFor } from '../../policy/inbox-access.js';
import { dateParam, intParam, LIMIT, UNTIL, EMAIL_DOC, MSG_DOCS } from './params.js';

type C = Context<AppEnv>;

export function registerMessageRoutes(kit: ApiKit): void {
  const { reg, store, deps, json, needUser, guarded, guardMessage, principal } = kit;

  // Registered before /addresses/:email/... so "starred" is never read as an address.
  reg.route(
    'get',
    '/addresses/starred/messages',
    { operationId: 'ListStarredMessages', summary: 'List starred messages of the account', tags: ['Messages'], auth: 'key', responses: { 200: 'Messages, newest first', 401: 'No key' }, returns: 'EmailMessageList', query: [LIMIT, UNTIL] },
    async (c) => {
      const no = needUser(c);
      if (no) return no;
      const p = principal(c, deps);
      const until = dateParam(c.req.query('until'));
      const limit = intParam(c.req.query('limit'), 1, 1000);
      if (until === null || limit === null) return apiError(c, 400, 'until must be a date and limit a number');
      return c.json(await Promise.all((await deps.services.inboxes.starred(p, { limit: limit ?? 100, until })).map((m) => json(m, p))));
    },
  );

  reg.route(
    'get',
    '/addresses/:email/message-count',
    { operationId: 'CountMessages', summary: 'Count messages in an inbox', tags: ['Messages'], auth: 'inbox', pathDocs: EMAIL_DOC, responses: { 200: '{count, inbox}', 401: 'No key', 403: 'Private and not yours' }, returns: 'MessageCount' },
    async (c) => {
      const g = guarded(c);
      return c.json({ count: await store.reader.count(g.inbox, readerFor(g.p)), inbox: g.inbox });
    },
  );

  reg.route(
    'get',
    '/addresses/:email/messages',
    {
      operationId: 'ListMessages',
      summary: 'List messages in an inbox, newest first',
      tags: ['Messages'],
      auth: 'inbox',
      pathDocs: EMAIL_DOC,
      query: [UNTIL, LIMIT],
      responses: { 200: 'Messages', 400: 'Bad until or limit', 401: 'No key', 403: 'Private and not yours' },
      returns: 'EmailMessageList',
    },
    async (c) => {
      const g = guarded(c);
      const until = dateParam(c.req.query('until'));
      const limit = intParam(c.req.query('limit'), 1, 1000);
      if (until === null || limit === null) return apiError(c, 400, 'until must be a date and limit a number');
      return c.json(await Promise.all((await store.reader.list(g.inbox, { until, limit: limit ?? 20, reader: readerFor(g.p) })).map((m) => json(m, g.p))));
    },
  );

  reg.route(
    'delete',
    '/addresses/:email/messages',
    {
      operationId: 'DeleteAllMessages',
      summary: 'Delete all messages of an owned inbox (starred ones are kept)',
      tags: ['Messages'],
      auth: 'inbox',
      inboxMode: 'manage',
      pathDocs: EMAIL_DOC,
      responses: { 204: 'Deleted', 401: 'No key', 403: 'Not your inbox' },
    },
    async (c) => {
      const g = guarded(c);
      await deps.services.inboxes.deleteAll(g.inbox);
      return c.body(null, 204);
    },
  );

  reg.route(
    'get',
    '/addresses/:email/messages/:messageId',
    { operationId: 'GetMessageMetadata', summary: 'Get one message', tags: ['Messages'], auth: 'inbox', pathDocs: MSG_DOCS, responses: { 200: 'The message', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' }, returns: 'EmailMessage' },
    async (c) => {
      const g = await guardMessage(c);
      if (g instanceof Response) return g;
      return c.json(await json(g.m, g.p));
    },
  );

  reg.route(
    'delete',
    '/addresses/:email/messages/:messageId',
    { operationId: 'DeleteMessage', summary: 'Delete one message', tags: ['Messages'], auth: 'inbox', pathDocs: MSG_DOCS, responses: { 200: '{_id, inbox, message}', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' }, returns: 'MessageDeleted' },
    async (c) => {
      const g = await guardMessage(c);
      if (g instanceof Response) return g;
      if (!(await deps.services.inboxes.deleteOne(g.p, g.m)).ok) return apiError(c, 401, MSG.noKey);
      return c.json({ _id: g.m.id, inbox: g.inbox, message: 'Message was deleted.' });
    },
  );

  reg.route(
    'put',
    '/addresses/:email/messages/:messageId/star',
    { operationId: 'ToggleMessageStar', summary: 'Toggle the starred flag', tags: ['Messages'], auth: 'inbox', pathDocs: MSG_DOCS, responses: { 200: 'The message', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' }, returns: 'EmailMessage' },
    async (c) => {
      const g = await guardMessage(c);
      if (g instanceof Response) return g;
      const r = await deps.services.inboxes.toggleStar(g.p, g.m);
      if (!r.ok) return apiError(c, 401, MSG.noKey);
      return c.json(await json(r.value, g.p));
    },
  );

  const labelDocs = { ...MSG_DOCS, label: 'Label, URL-encoded' };
  const labelHandler = (add: boolean) => async (c: C) => {
    const g = await guardMessage(c);
    if (g instanceof Response) return g;
    const label = c.req.param('label') ?? '';
    if (!validLabel(label)) return apiError(c, 400, `A label is 1 to ${MAX_LABEL} characters`);
    if (!add) {
      const removed = await deps.services.inboxes.removeLabel(g.p, g.m, label);
      if (!removed.ok) return apiError(c, 401, MSG.noKey);
      return c.json({ _id: g.m.id, labels: removed.value });
    }
    const r = await deps.services.inboxes.addLabel(g.p, g.m, label);
    if (!r.ok && r.reason === 'forbidden') return apiError(c, 401, MSG.noKey);
    if (!r.ok) return apiError(c, 400, `At most ${MAX_LABELS} labels per message`);
    return c.json({ _id: g.m.id, labels: r.value });
  };
  reg.route(
    'put',
    '/addresses/:email/messages/:messageId/labels/:label',
    { operationId: 'AddMessageLabel', summary: 'Add a label to a message', tags: ['Messages'], auth: 'inbox', pathDocs: labelDocs, responses: { 200: '{_id, labels}', 400: 'Bad label', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' }, returns: 'MessageLabels' },
    labelHandler(true),
  );
  reg.route(
    'delete',
    '/addresses/:email/messages/:messageId/labels/:label',
    { operationId: 'DeleteMessageLabel', summary: 'Remove a label from a message', tags: ['Messages'], auth: 'inbox', pathDocs: labelDocs, responses: { 200: '{_id, labels}', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' }, returns: 'MessageLabels' },
    labelHandler(false),
  );

  reg.route(
    'put',
    '/addresses/:email/messages/:messageId/folder/:folder',
    {
      operationId: 'SetMessageFolder',
      summary: 'Move a message to a folder',
      tags: ['Messages'],
      auth: 'inbox',
      pathDocs: { ...MSG_DOCS, folder: 'inbox, all, spam or trash' },
      responses: { 200: '{_id, folder}', 400: 'Unknown folder', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' },
      returns: 'MessageFolder',
    },
    async (c) => {
      const g = await guardMessage(c);
      if (g instanceof Response) return g;
      const folder = c.req.param('folder') ?? '';
      const r = await deps.services.inboxes.setFolder(g.p, g.m, folder);
      if (!r.ok && r.reason === 'forbidden') return apiError(c, 401, MSG.noKey);
      if (!r.ok) return apiError(c, 400, `folder must be one of ${FOLDERS.join(', ')}`);
      return c.json({ _id: g.m.id, folder });
    },
  );

  reg.route(
    'put',
    '/addresses/:email/messages/:messageId/read/:readBoolean',
    {
      operationId: 'SetMessageReadStatus',
      summary: 'Mark a message read or unread',
      tags: ['Messages'],
      auth: 'inbox',
      pathDocs: { ...MSG_DOCS, readBoolean: 'true or false' },
      responses: { 200: '{_id, read}', 400: 'Not true or false', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' },
      returns: 'MessageRead',
    },
    async (c) => {
      const g = await guardMessage(c);
      if (g instanceof Response) return g;
      const v = c.req.param('readBoolean');
      if (v !== 'true' && v !== 'false') return apiError(c, 400, 'readBoolean must be true or false');
      if (!(await deps.services.inboxes.setRead(g.p, g.m, v === 'true')).ok) return apiError(c, 401, MSG.noKey);
      return c.json({ _id: g.m.id, read: v === 'true' });
    },
  );
}
