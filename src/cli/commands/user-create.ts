// user create <name> [--admin] [--email E] [--password P | --password-stdin]
import { PASSWORD_MAX, PASSWORD_MIN } from '../../policy/accounts.js';
import { passwordOpt, stringOpt, UsageError, type Command } from '../args.js';

export const userCreate: Command = async ({ args, opts, io, services }) => {
  const name = args[0];
  if (!name) throw new UsageError('user create <name>');
  const r = await services.accounts.createUser({
    username: name,
    role: opts.admin ? 'admin' : 'user',
    email: stringOpt(opts, 'email') ?? '',
    password: await passwordOpt(opts, io),
  });
  if (!r.ok) {
    if (r.reason === 'taken') throw new Error(`user ${name} already exists`);
    if (r.reason === 'bad-name') throw new Error('username: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    throw new Error(r.reason === 'too-long' ? `passwords are at most ${PASSWORD_MAX} characters` : `passwords are at least ${PASSWORD_MIN} characters`);
  }
  const u = r.value;
  io.out(`created ${u.role} ${u.username} (id ${u.id})${u.hasPassword ? ', can sign in on the web' : ', API keys only (no password)'}`);
  return 0;
};
