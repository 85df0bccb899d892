// address reserve <email> --user <name>
import { canonicalAddress } from '../../policy/address.js';
import { stringOpt, userArg, UsageError, type Command } from '../args.js';

export const addressReserve: Command = async (ctx) => {
  const a = canonicalAddress(ctx.args[0] ?? '');
  if (!a) throw new UsageError('address reserve <email> --user <name>');
  const owner = stringOpt(ctx.opts, 'user');
  if (owner === undefined) throw new UsageError('--user <name> is required');
  const u = await userArg(ctx, owner);
  const r = await ctx.services.addresses.reserve(u.id, a);
  if (!r.ok) {
    if (r.reason === 'foreign-domain') throw new Error(`${a.domain} is not one of the configured domains (${ctx.config.domains.join(', ')}) nor a verified domain of ${u.username}`);
    if (r.reason === 'catch-all') throw new Error(`${a.inbox} is the catch-all address of ${a.domain}: its settings are the domain's`);
    const domainOwner = await ctx.store.data.domains.verifiedOwner(a.domain);
    if (r.reason === 'taken' && domainOwner && domainOwner.ownerId !== u.id) {
      throw new Error(`${a.domain} is ${(await ctx.store.data.domains.get(a.domain))?.ownerName ?? 'another account'}'s domain: only that account may reserve addresses there`);
    }
    if (r.reason === 'reserved-local-part') throw new Error(`${a.inbox} uses a reserved local part; it is admin-only already`);
    if (r.reason === 'over-plan') throw new Error(`${u.username}'s plan has no private address left (billing.plans, billing.free)`);
    throw new Error(`${a.inbox} is already owned by ${(await ctx.store.data.addresses.get(a.inbox))?.ownerName ?? 'someone'}`);
  }
  ctx.io.out(`${a.inbox} is now private to ${u.username}`);
  return 0;
};
