// address release <email> [--delete-messages]
import { canonicalAddress } from '../../policy/address.js';
import { UsageError, type Command } from '../args.js';

export const addressRelease: Command = async ({ args, opts, io, store, services }) => {
  const a = canonicalAddress(args[0] ?? '');
  if (!a) throw new UsageError('address release <email> [--delete-messages]');
  if (!(await store.data.addresses.get(a.inbox))) throw new Error(`${a.inbox} is not reserved`);
  const { wiped, deleted } = await services.addresses.release(a.inbox, { deleteMessages: Boolean(opts['delete-messages']) });
  io.out(`${a.inbox} released${wiped ? `; ${deleted} messages deleted` : '; its mail is public again'}`);
  return 0;
};
