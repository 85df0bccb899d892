// Whose data `export` and `delete` work on: `address <email>` or `account <user>`.
import { canonicalAddress } from '../../policy/address.js';
import type { User } from '../../store/users.js';
import type { Subject } from '../../services/data-rights.js';
import { userArg, UsageError, type CommandContext } from '../args.js';

export interface NamedSubject {
  subject: Subject;
  /** The address or user name, for messages, file names and the audit log. */
  name: string;
  /** Set for an account. */
  user?: User;
}

export async function dataSubject(ctx: CommandContext, kind: 'address' | 'account', usage: string): Promise<NamedSubject> {
  if (kind === 'address') {
    const a = canonicalAddress(ctx.args[0] ?? '');
    if (!a) throw new UsageError(usage);
    return { subject: { kind: 'address', inbox: a.inbox }, name: a.inbox };
  }
  const u = await userArg(ctx, ctx.args[0]);
  return { subject: { kind: 'account', userId: u.id }, name: u.username, user: u };
}
