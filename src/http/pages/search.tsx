// Search (issue 3): one inbox anyone may read, by its address, or, signed in,
// every inbox of the account and the mail it captured. Private inboxes answer
// as a private inbox page does.
import type { Hono } from 'hono';
import type { AppEnv, HttpDeps as WebDeps } from '../deps.js';
import { canonicalAddress } from '../../policy/address.js';
import type { MessageView } from '../../store/messages.js';
import { searchableInput, type Scope } from '../../store/message-queries.js';
import { principalFrom } from '../middleware/principal.js';
import { inboxAccess, readerFor } from '../../policy/inbox-access.js';
import { SearchPage } from '../views/account/search.js';
import type { AccountShared } from './account-shared.js';

export function registerSearchPages(app: Hono<AppEnv>, deps: WebDeps, { scopeOf, load }: AccountShared): void {
  app.get('/search', async (c) => {
    const p = principalFrom(c);
    const query = (c.req.query('q') ?? '').slice(0, 500);
    const inboxParam = (c.req.query('inbox') ?? '').trim();
    const page = (results: MessageView[] | null, error?: string, status: 200 | 400 | 403 = 200) =>
      c.html(<SearchPage nonce={c.get('nonce')} query={query} inbox={inboxParam} signedIn={p.kind === 'user'} results={results} error={error} />, status);
    let scope: Scope;
    if (inboxParam) {
      const a = canonicalAddress(inboxParam);
      if (!a) return page(null, 'That inbox is not an email address.', 400);
      // Private and not yours: the same answer as a private inbox page.
      if (!(await inboxAccess(deps, a.inbox, p)).read) return page(null, 'This inbox is private.', 403);
      scope = { kind: 'inbox', inbox: a.inbox };
    } else if (p.kind === 'user') {
      scope = scopeOf(p);
    } else {
      return page(null, query ? 'Give an inbox to search, or sign in to search your addresses.' : undefined);
    }
    if (!searchableInput(query)) return page(null, 'Search words cannot contain control characters.', 400);
    if (!query.trim()) return page(null);
    return page(await load(await deps.store.reader.search(scope, query, { limit: 100, reader: readerFor(p) })));
  });
}
