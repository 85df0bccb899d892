// user list
import { date, table } from '../output.js';
import type { Command } from '../args.js';

export const userList: Command = async ({ io, store, services }) => {
  const rows = [['ID', 'NAME', 'ROLE', 'PASSWORD', 'KEYS', 'ADDRESSES', 'CREATED']];
  for (const u of await services.accounts.list()) {
    const keys = (await services.accounts.listKeys(u.id)).filter((k) => !k.revoked).length;
    rows.push([String(u.id), u.username, u.role, u.hasPassword ? 'yes' : 'no', String(keys), String(await store.data.addresses.countForOwner(u.id)), date(u.created)]);
  }
  io.out(rows.length > 1 ? table(rows) : 'no users');
  return 0;
};
