// "Your mail" (issue 3): the newest mail of the inboxes a user manages and
// the mail their account captured (issue 12), by folder or starred, and the
// forms that star, file and label one's own messages. The rules are the inbox
// service's (services/inboxes.ts).
import type { Hono } from 'hono';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { formOf } from '../middleware/csrf.js';
import { canonicalAddress } from '../../policy/address.js';
import type { MessageView } from '../../store/messages.js';
import { inboxAccess, readerFor } from '../../policy/inbox-access.js';
import { FOLDERS, MAX_LABEL } from '../../services/inboxes.js';
import { MailPage } from '../views/account/search.js';
import type { AccountShared, C, UserPrincipal } from './account-shared.js';

export function registerMailPages(app: Hono<AppEnv>, deps: WebDeps, { csrf, checked, requireUser, me, scopeOf, load }: AccountShared): void {
  const store = deps.store;

  app.get('/account/mail', requireUser, async (c) => {
    const p = me(c);
    const folder = (FOLDERS as readonly string[]).includes(c.req.query('folder') ?? '') ? c.req.query('folder')! : '';
    const starredOnly = c.req.query('starred') === '1';
    const messages = starredOnly
      ? await deps.services.inboxes.starred(p, { limit: 100 })
      : await load(await store.reader.listIds(scopeOf(p), { limit: 100, folder: folder || undefined, reader: readerFor(p) }));
    return c.html(<MailPage nonce={c.get('nonce')} csrf={csrf.token(c)} messages={messages} folder={folder} starredOnly={starredOnly} />);
  });

  /** A message of an inbox this user manages (owner or admin): the UI edits only owned mail. */
  const ownMessage = async (c: C, p: UserPrincipal): Promise<MessageView | null> => {
    const a = canonicalAddress(c.req.param('address') ?? '');
    if (!a || !(await inboxAccess(deps, a.inbox, p)).manage) return null;
    return store.reader.getInInbox(a.inbox, c.req.param('id') ?? '');
  };
  const back = (c: C) => c.redirect('/account/mail', 303);

  app.post('/account/mail/:address/:id/:action{star|folder|labels}', requireUser, checked, async (c) => {
    const p = me(c);
    const f = formOf(c);
    const m = await ownMessage(c, p);
    if (!m) return c.text('Not found', 404);
    const action = c.req.param('action');
    const inboxes = deps.services.inboxes;
    if (action === 'star') {
      if (!(await inboxes.toggleStar(p, m)).ok) return c.text('Not found', 404);
    } else if (action === 'folder') {
      const r = await inboxes.setFolder(p, m, f.folder ?? '');
      if (!r.ok) return r.reason === 'forbidden' ? c.text('Not found', 404) : c.text('Unknown folder', 400);
    } else {
      // A message already at the label limit keeps its labels; the page shows them as they are.
      const r = await inboxes.addLabel(p, m, f.label ?? '');
      if (!r.ok && r.reason === 'forbidden') return c.text('Not found', 404);
      if (!r.ok && r.reason === 'bad-label') return c.text(`A label is 1 to ${MAX_LABEL} characters`, 400);
    }
    return back(c);
  });

  app.post('/account/mail/:address/:id/labels/remove', requireUser, checked, async (c) => {
    const p = me(c);
    const f = formOf(c);
    const m = await ownMessage(c, p);
    if (!m) return c.text('Not found', 404);
    if (!(await deps.services.inboxes.removeLabel(p, m, f.label ?? '')).ok) return c.text('Not found', 404);
    return back(c);
  });
}
