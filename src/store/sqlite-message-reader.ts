// MessageReader on the SQLite engine: the synchronous repositories
// (MessageStore, MessageQueries) behind promises, no SQL of its own, so the
// two read paths cannot drift apart while callers move over one by one.
// The raw source is inflated on libuv's thread pool (rawAsync), as the read
// routes already do; everything else is a read on this connection.
import type { Store } from './index.js';
import type { MessageReader } from './message-reader.js';

export function sqliteMessageReader(store: Pick<Store, 'messages' | 'queries' | 'transaction' | 'bulk'>): MessageReader {
  const { messages, queries, bulk } = store;
  return {
    get: async (id) => messages.get(id),
    getInInbox: async (inbox, id, reader) => messages.getInInbox(inbox, id, reader),
    raw: (contentId) => messages.rawAsync(contentId),
    body: async (contentId) => messages.body(contentId),
    storedBody: async (contentId) => messages.storedBody(contentId),
    attachments: async (contentId) => messages.attachments(contentId),
    attachmentData: async (sha256) => messages.attachmentData(sha256),

    list: async (inbox, opts) => messages.list(inbox, opts),
    listDomain: async (domain, opts) => messages.listDomain(domain, opts),
    count: async (inbox, reader) => messages.count(inbox, reader),
    countAll: async (inbox) => messages.countAll(inbox),
    idsInArrivalOrder: async (inbox) => bulk.idsInArrivalOrder(inbox),
    pendingCount: async () => messages.pendingCount(),

    setRead: async (id, read) => messages.setRead(id, read),
    setStarred: async (id, starred, savedBy) =>
      store.transaction(() => {
        messages.setStarred(id, starred);
        queries.setSavedBy(id, savedBy);
      }),
    savedBy: async (id) => queries.savedBy(id),
    setFolder: async (id, folder) => messages.setFolder(id, folder),
    setLabels: async (id, labels) => messages.setLabels(id, labels),
    dropForeignStars: async (inbox, ownerId) => queries.dropForeignStars(inbox, ownerId),
    delete: async (id) => messages.delete(id),

    listIds: async (scope, opts) => queries.list(scope, opts),
    starredIds: async (scope, userId, opts) => queries.starred(scope, userId, opts),
    countIn: async (scope, reader) => queries.count(scope, reader),
    unread: async (scope, reader) => queries.unread(scope, reader),
    usage: async (scope) => queries.usage(scope),
    search: async (scope, input, opts) => queries.search(scope, input, opts),
    matchAny: async (scope, text, opts) => queries.matchAny(scope, text, opts),
    filter: async (scope, f, opts) => queries.filter(scope, f, opts),
    capturedCount: async (userId) => messages.capturedCount(userId),
  };
}
