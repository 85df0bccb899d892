// key create <user> [--name N]: prints the key once, on stdout alone, so a script can take it.
import { stringOpt, userArg, type Command } from '../args.js';

export const keyCreate: Command = async (ctx) => {
  const u = await userArg(ctx, ctx.args[0]);
  const { key, record } = await ctx.services.accounts.createKey(u.id, stringOpt(ctx.opts, 'name') ?? '');
  await ctx.store.data.audit.record({ actor: 'cli', action: 'key-create', target: u.username, detail: { keyId: record.id, name: record.name } });
  ctx.io.err(`created key ${record.id}${record.name ? ` "${record.name}"` : ''} for ${u.username}. It is shown once; store it now:`);
  ctx.io.out(key);
  return 0;
};
