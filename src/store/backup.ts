// Online backup: SQLite's backup API copies the database page by page while
// the appliance keeps receiving (the WAL keeps readers consistent), so no
// stop is needed. The copy is checked before it is reported as written.
import Database from 'better-sqlite3';
import { renameSync, rmSync } from 'node:fs';
import type { DB } from './db.js';

export async function backupDatabase(db: DB, file: string, onProgress?: (percent: number) => void): Promise<void> {
  // Written beside the target and renamed at the end, so a failed or
  // interrupted backup never leaves a half file under the name asked for.
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  let last = -1;
  await db.backup(partial, {
    progress: ({ totalPages, remainingPages }) => {
      const pct = totalPages ? Math.floor(((totalPages - remainingPages) / totalPages) * 100) : 100;
      if (onProgress && pct >= last + 10) {
        last = pct;
        onProgress(pct);
      }
      // Pages per step: small enough that the running server's writes are not held up for long.
      return 1000;
    },
  });
  if (onProgress && last < 100) onProgress(100);
  const copy = new Database(partial);
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`backup failed its integrity check: ${String(check)}`);
    // A single self-contained file: fold any WAL content in and drop the WAL.
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  renameSync(partial, file);
}
