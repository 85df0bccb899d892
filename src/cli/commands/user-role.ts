// user role <name> <admin|user>
import { userArg, UsageError, type Command } from '../args.js';

export const userRole: Command = async (ctx) => {
  const u = await userArg(ctx, ctx.args[0]);
  const role = ctx.args[1];
  if (role !== 'admin' && role !== 'user') throw new UsageError('user role <name> <admin|user>');
  const r = await ctx.services.accounts.setRole(u, role);
  if (!r.ok) throw new Error(`${u.username} is the last admin`);
  if (!r.value.changed) {
    ctx.io.out(`${u.username} is already ${role}`);
    return 0;
  }
  await ctx.store.data.audit.record({ actor: 'cli', action: 'role-change', target: u.username, detail: { from: u.role, to: role } });
  ctx.io.out(`${u.username} is now ${role}`);
  return 0;
};
