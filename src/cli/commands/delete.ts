// delete address <email> --yes | delete account <user> --yes: for good, in
// batches on this process's own connection (services/data-rights.ts).
import { ADMIN_USERNAME } from '../../policy/accounts.js';
import { accountDeletionRefusal, eraseData } from '../../services/data-rights.js';
import { UsageError, type Command } from '../args.js';
import { dataSubject } from './data-subject.js';

export const deleteCommand =
  (kind: 'address' | 'account'): Command =>
  async (ctx) => {
    const { store, config, io, services } = ctx;
    const { subject, name, user } = await dataSubject(ctx, kind, 'delete address <email> --yes');
    // The operator may delete the admin key's user (it is re-created at the next start), never the last admin.
    if (user && (await accountDeletionRefusal(store, { auth: { ...config.auth, adminKey: '' } }, user, ADMIN_USERNAME)) === 'last-admin') {
      throw new Error(`${user.username} is the last admin`);
    }
    if (!ctx.opts.yes) throw new UsageError(`this deletes everything held for ${name} for good: add --yes`);
    const r = await eraseData({ store, eraser: services.eraser, billing: services.billing }, subject);
    await store.data.audit.record({ actor: 'cli', action: 'delete-data', target: name, detail: { messages: r.messages, addresses: r.addresses, keys: r.keys, account: kind === 'account' } });
    io.out(`deleted ${r.messages} messages${kind === 'account' ? `, ${r.addresses} addresses, ${r.keys} keys, ${r.sessions} sessions and the user` : ''} for ${name}${r.billing.canceled || r.billing.records ? ` (canceled ${r.billing.canceled} Stripe subscriptions, deleted ${r.billing.records} billing records)` : ''}`);
    return 0;
  };
