// What the MX receiver asks the store per recipient (issue 12, issue 14):
// whether an account owns the inbox (privacy.unownedHandling "reject"),
// whether a domain is an account's verified one, and its catch-all inbox.
// Asked of the engine-neutral repositories' methods, so a SQLite node (main.ts,
// through the store's lookup cache, store/lookup-cache.ts) and a PostgreSQL
// receiving node (ingest/pg-receiving-node.ts) decide alike.
import type { RecipientLookups } from '../store/lookup-cache.js';
import type { ReceiverDeps } from './receiver.js';

export function receiverOwnership(data: RecipientLookups): Required<Pick<ReceiverDeps, 'isOwned' | 'acceptsDomain' | 'catchAllFor'>> {
  return {
    // Reserved, or under an account's verified domain (public or private: its owner receives it either way).
    isOwned: async (inbox) =>
      (await data.addresses.ownerOf(inbox)) !== null || (await data.domains.verifiedOwner(inbox.slice(inbox.lastIndexOf('@') + 1))) !== null,
    acceptsDomain: async (domain) => (await data.domains.verifiedOwner(domain)) !== null,
    catchAllFor: (domain) => data.domains.catchAllInbox(domain),
  };
}
