// backup <file>: an online copy of the database, safe while mail arrives.
import { sqliteStoreFor, UsageError, type Command } from '../args.js';

export const backup: Command = async ({ args, io, store }) => {
  const file = args[0];
  if (!file) throw new UsageError('backup <file>');
  await sqliteStoreFor(store, 'backup', 'back up the database with pg_dump or PITR (docs/scaling.md, "Backups")').backup(file, (pct: number) => io.err(`backup ${pct}%`));
  io.out(`wrote ${file}`);
  return 0;
};
