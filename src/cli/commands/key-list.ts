// key list [<user>]
import { date, table } from '../output.js';
import { userArg, type Command } from '../args.js';

export const keyList: Command = async (ctx) => {
  const only = ctx.args[0] ? await userArg(ctx, ctx.args[0]) : null;
  const keys = await ctx.services.accounts.listKeys(only?.id);
  const rows = [['ID', 'USER', 'NAME', 'STARTS', 'CREATED', 'LAST USED', 'STATUS']];
  for (const k of keys) {
    rows.push([String(k.id), (await ctx.store.data.users.byId(k.userId))?.username ?? '?', k.name || '-', k.hint + '…', date(k.created), date(k.lastUsed), k.revoked ? `revoked ${date(k.revoked)}` : 'active']);
  }
  ctx.io.out(keys.length ? table(rows) : 'no keys');
  return 0;
};
