// The shared retention cases (test/store/retention-cases.ts) on SQLite: the
// survivors PostgreSQL must match (test/store/pg/retention.test.ts).
import { test } from 'uvu';
import { rmSync } from 'node:fs';
import { openStore, type Store } from '../../src/store/index.js';
import { prune } from '../../src/jobs/retention.js';
import { alive, storeAt } from '../helpers/retention-store.js';
import { tempDir } from '../helpers/temp.js';
import { retentionCases } from '../store/retention-cases.js';

let dir = '';
let store: Store | null = null;
const current = () => store!;

test.after(() => {
  store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

retentionCases(test, {
  async reset() {
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = tempDir();
    store = openStore(dir);
  },
  async user(name) {
    return (await current().users.create({ username: name, role: 'user' })).id;
  },
  async reserve(address, ownerId) {
    current().addresses.reserve(address, ownerId);
  },
  async domain(domain, ownerId, isPrivate) {
    current().domains.add(domain, ownerId, 't');
    current().domains.markVerified(domain);
    if (!isPrivate) current().domains.setPrivate(domain, false);
  },
  async put(inbox, received, savedBy) {
    const id = storeAt(current(), inbox, received);
    if (savedBy !== undefined) {
      current().messages.setStarred(id, true);
      current().queries.setSavedBy(id, savedBy);
    }
    return id;
  },
  prune: (policy, now) => prune(current(), policy, now),
  async alive(ids) {
    return alive(current(), ids);
  },
});

test.run();
