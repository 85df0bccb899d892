// user password <name> [--password P | --password-stdin]
import { PASSWORD_MAX, PASSWORD_MIN } from '../../policy/accounts.js';
import { passwordOpt, userArg, type Command } from '../args.js';

export const userPassword: Command = async (ctx) => {
  const u = await userArg(ctx, ctx.args[0]);
  const pw = await passwordOpt(ctx.opts, ctx.io);
  const set = pw ? await ctx.services.accounts.setPassword(u.id, pw) : null;
  if (!set?.ok) {
    throw new Error(set?.reason === 'too-long' ? `passwords are at most ${PASSWORD_MAX} characters` : `give a password of at least ${PASSWORD_MIN} characters with --password or --password-stdin`);
  }
  ctx.io.out(`password set for ${u.username}; their web sessions were signed out`);
  return 0;
};
