// key revoke <id>
import { UsageError, type Command } from '../args.js';

export const keyRevoke: Command = async ({ args, io, services }) => {
  const id = Number(args[0]);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError('key revoke <id> (see key list)');
  const r = await services.accounts.revokeKey(id);
  if (!r.ok) throw new Error(r.reason === 'already-revoked' ? `key ${id} was already revoked` : `no key ${id}`);
  io.out(`revoked key ${id}`);
  return 0;
};
