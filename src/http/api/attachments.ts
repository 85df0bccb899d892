// Attachments of a message: their index and the bytes, downloaded, never rendered.
import type { ApiKit } from './kit.js';
import { apiError } from './errors.js';
import { MSG_DOCS } from './params.js';
import { attachmentJson } from './json.js';
import { servingHeaders } from '../../policy/serving.js';



export function registerAttachmentRoutes(kit: ApiKit): void {
  const { reg, store, guardMessage } = kit;
  reg.route(
    'get',
    '/addresses/:email/messages/:messageId/attachments',
    { operationId: 'ListMessageAttachments', summary: 'List the attachments of a message', tags: ['Attachments'], auth: 'inbox', pathDocs: MSG_DOCS, responses: { 200: 'Attachment metadata', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' }, returns: 'AttachmentMeta' },
    async (c) => {
      const g = await guardMessage(c);
      if (g instanceof Response) return g;
      return c.json(g.m.attachments.map(attachmentJson));
    },
  );

  reg.route(
    'get',
    '/addresses/:email/messages/:messageId/attachments/:attachmentIdentifier',
    {
      operationId: 'DownloadAttachment',
      summary: 'Download an attachment by md5, Content-ID or filename',
      tags: ['Attachments'],
      auth: 'inbox',
      pathDocs: { ...MSG_DOCS, attachmentIdentifier: 'md5 sum, Content-ID (cid) or filename' },
      produces: 'application/octet-stream',
      responses: { 200: 'The attachment', 401: 'No key', 403: 'Private and not yours', 404: 'No such message or attachment' },
    },
    async (c) => {
      const g = await guardMessage(c);
      if (g instanceof Response) return g;
      const ident = c.req.param('attachmentIdentifier') ?? '';
      const bare = ident.replace(/^<|>$/g, '');
      const list = g.m.attachments;
      // A filename or Content-ID is only ever a lookup key, never a path.
      const a =
        list.find((x) => x.md5 === ident.toLowerCase()) ??
        list.find((x) => x.cid !== '' && x.cid.toLowerCase() === bare.toLowerCase()) ??
        list.find((x) => x.filename !== '' && x.filename === ident);
      if (!a) return apiError(c, 404, 'Attachment not found');
      const data = await store.reader.attachmentData(a.sha256);
      if (!data) return apiError(c, 404, 'Attachment not found');
      // Downloaded, never rendered: the same rule as the pages' attachment route.
      return c.body(new Uint8Array(data), 200, servingHeaders({ kind: 'attachment', filename: a.filename, contentType: a.contentType, fallbackName: `${a.md5}.bin` }));
    },
  );
}
