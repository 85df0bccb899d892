// Routes of the old community Mailsac client (the `mailsac` npm package's
// Client: setMessageLabels, getMessageHeaders) that Mailsac's current
// description no longer lists, kept so suites written against it run
// unchanged (issue 12). The other legacy spelling,
// PUT /private-address-forwarding/{email}, lives with the addresses.
import { MAX_LABELS, validLabel, MAX_LABEL } from '../../services/inboxes.js';
import type { ApiKit } from './kit.js';
import { apiError, MSG } from './errors.js';
import { MSG_DOCS } from './params.js';

export function registerLegacyRoutes(kit: ApiKit): void {
  const { reg, store, deps, guardMessage, bodyOf } = kit;
  reg.route(
    'put',
    '/addresses/:email/messages/:messageId/labels',
    {
      operationId: 'SetMessageLabels',
      summary: 'Legacy: replace the labels of a message with the list given',
      tags: ['Messages'],
      auth: 'inbox',
      pathDocs: MSG_DOCS,
      body: { labels: { type: 'array', items: 'string', description: 'The labels the message should have' } },
      responses: { 200: '{_id, labels}', 400: 'Not a list of labels', 401: 'No key', 403: 'Private and not yours', 404: 'No such message' },
      returns: 'MessageLabels',
    },
    async (c) => {
      const g = await guardMessage(c);
      if (g instanceof Response) return g;
      const given = bodyOf(c).labels;
      if (!Array.isArray(given) || !given.every((l) => typeof l === 'string' && validLabel(l))) return apiError(c, 400, `labels must be a list of labels of 1 to ${MAX_LABEL} characters`);
      const wanted = [...new Set(given.map((l: string) => l.trim()))];
      if (wanted.length > MAX_LABELS) return apiError(c, 400, `At most ${MAX_LABELS} labels per message`);
      // Through the inbox service, one label at a time, so its change rule applies to each step.
      for (const label of g.m.labels.filter((l) => !wanted.includes(l))) {
        if (!(await deps.services.inboxes.removeLabel(g.p, (await store.reader.get(g.m.id))!, label)).ok) return apiError(c, 401, MSG.noKey);
      }
      let labels = (await store.reader.get(g.m.id))!.labels;
      for (const label of wanted.filter((l) => !labels.includes(l))) {
        const r = await deps.services.inboxes.addLabel(g.p, (await store.reader.get(g.m.id))!, label);
        if (!r.ok) return apiError(c, r.reason === 'forbidden' ? 401 : 400, r.reason === 'forbidden' ? MSG.noKey : 'Bad label');
        labels = r.value;
      }
      return c.json({ _id: g.m.id, labels });
    },
  );
}
