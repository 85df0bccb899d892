// backup <file>: an online copy of the database, safe while mail arrives.
import { UsageError, type Command } from '../args.js';

export const backup: Command = async ({ args, io, store }) => {
  const file = args[0];
  if (!file) throw new UsageError('backup <file>');
  await store.backup(file, (pct) => io.err(`backup ${pct}%`));
  io.out(`wrote ${file}`);
  return 0;
};
