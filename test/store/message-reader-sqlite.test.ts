// The MessageReader contract (message-reader-contract.ts) on the SQLite
// engine: messages written as the writer thread writes them (the group
// committer's insert, then applyParse), read through the Store's reader (sqliteMessageReader).
import { test } from 'uvu';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';
import { messageReaderContract } from './message-reader-contract.js';

const store = openStore(tempDir());
test.after(() => store.close());

messageReaderContract(test, {
  // The reader the Store composes (what the services use in production).
  reader: store.reader,
  receive: (msg) => store.committer.submit(() => store.messages.insertReceived(msg)),
  process: async (contentId, parsed, bodyZ, rawZ) => {
    const done = store.committer.submitDeferred(() => store.messages.applyParse(contentId, parsed, bodyZ, rawZ));
    store.committer.flushDeferredSoon();
    await done;
  },
  createUser: async (username) => store.users.createWithoutPassword({ username }).id,
  reserve: async (address, ownerId) => {
    store.addresses.reserve(address, ownerId);
  },
});

test.run();
