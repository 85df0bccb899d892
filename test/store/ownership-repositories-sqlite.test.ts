// The owned addresses and account domains contract
// (ownership-repositories-contract.ts) on the SQLite engine: the Store's
// store.data, what the services use in production; messages stored as the
// writer thread stores them.
import { test } from 'uvu';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';
import { withDatabaseFile } from '../helpers/database-file.js';
import { simpleMessage } from '../helpers/raw-smtp.js';
import { ownershipRepositoriesContract } from './ownership-repositories-contract.js';

const store = openStore(tempDir());
test.after(() => store.close());

ownershipRepositoriesContract(test, {
  repos: store.data,
  createUser: async (username) => store.users.createWithoutPassword({ username }).id,
  receive: async (inbox) => {
    const raw = Buffer.from(simpleMessage({ to: inbox, subject: 'star me' }));
    const msg = { raw, mailFrom: 'sender@example.org', recipients: [{ inbox, original: inbox, domain: inbox.split('@')[1]! }], ip: '', helo: '', tls: false, received: Date.now() };
    return (await store.committer.submit(() => store.messages.insertReceived(msg))).messageIds[0]!;
  },
  star: (id, userId) => store.reader.setStarred(id, true, userId),
  stars: async (id) =>
    withDatabaseFile(store, (db) => {
      const r = db.prepare('SELECT starred, saved_by FROM messages WHERE id = ?').get(id) as { starred: number; saved_by: number | null };
      return { starred: r.starred === 1, savedBy: r.saved_by };
    }),
});

test.run();
