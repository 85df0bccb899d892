// The store as the rest of the process sees it: one database, its tables'
// repositories, and the group committer every SMTP write goes through.
import { databaseFile, openDatabase, type DB } from './db.js';
import { GroupCommitter } from './group-commit.js';
import { MessageStore } from './messages.js';

export interface Store {
  db: DB;
  file: string;
  messages: MessageStore;
  committer: GroupCommitter;
  close(): void;
}

export function openStore(dataDir: string): Store {
  const file = databaseFile(dataDir);
  const db = openDatabase(file);
  return {
    db,
    file,
    messages: new MessageStore(db),
    committer: new GroupCommitter(db),
    close() {
      if (!db.open) return;
      // Fold the WAL back into the main file so a copied data dir is complete.
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
    },
  };
}
