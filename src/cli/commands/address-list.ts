// address list [<user>]
import { date, table } from '../output.js';
import { userArg, type Command } from '../args.js';

export const addressList: Command = async (ctx) => {
  const { store } = ctx;
  const only = ctx.args[0] ? await userArg(ctx, ctx.args[0]) : null;
  const list = only ? await store.data.addresses.listForOwner(only.id) : await store.data.addresses.list();
  const rows = [['ADDRESS', 'OWNER', 'MESSAGES', 'FORWARD', 'CREATED']];
  for (const a of list) rows.push([a.address, a.ownerName, String(await store.reader.count(a.address)), a.forward ?? '-', date(a.created)]);
  ctx.io.out(list.length ? table(rows) : 'no reserved addresses');
  return 0;
};
