// Admin commands: npm run cli -- <command> (or the `mailroom` bin).
// Works on the same database as the running appliance (SQLite WAL allows a
// second writer process; busy_timeout makes it wait its turn).
//
// Exit codes: 0 done, 1 the command failed (message on stderr), 2 usage error.
import { fileURLToPath } from 'node:url';
import { loadConfig, ConfigError, type Config } from '../config.js';
import { openStore, type Store } from '../store/index.js';
import { canonicalAddress } from '../policy/address.js';
import { ensureAdmin, ADMIN_USERNAME } from '../http/middleware/principal.js';
import { createServices } from '../services/index.js';
import { localEraser } from '../store/index.js';
import { isReservedInbox } from '../policy/inbox-access.js';
import type { Role } from '../store/users.js';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { exportData, eraseData, countMessages, accountDeletionRefusal, type Subject } from '../services/data-rights.js';
import { safeEntryName } from '../privacy/zip.js';
import { backupDatabase } from '../store/backup.js';

const USAGE = `usage: mailroom <command> [options]

  user create <name> [--admin] [--email E] [--password P | --password-stdin]
  user list
  user password <name> [--password P | --password-stdin]
  key create <user> [--name N]        prints the key once: store it now
  key list [<user>]
  key revoke <id>
  address reserve <email> --user <name>
  address release <email> [--delete-messages]
  address list [<user>]
  user role <name> <admin|user>
  export address <email> [--out FILE]   everything held for an address: ZIP (mbox + manifest.json)
  export account <user> [--out FILE]    everything held for an account
  delete address <email> --yes          delete every message of an address (raw, attachments, search index)
  delete account <user> --yes           delete an account, its addresses' mail, keys and sessions
  audit [--limit N]                     the audit log, newest first
  backup <file>                         online copy of the database, safe while mail arrives

Options read MAILROOM_CONFIG / MAILROOM_DATA_DIR like the server does.`;

export class UsageError extends Error {}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: () => Promise<string>;
}

function parseArgs(argv: string[]): { pos: string[]; opts: Record<string, string | true> } {
  const pos: string[] = [];
  const opts: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      const flag = ['admin', 'password-stdin', 'delete-messages', 'help', 'yes'].includes(k);
      if (v !== undefined) opts[k] = v;
      else if (flag) opts[k] = true;
      else if (i + 1 < argv.length) opts[k] = argv[++i]!;
      else throw new UsageError(`--${k} needs a value`);
    } else pos.push(a);
  }
  return { pos, opts };
}

const date = (ms: number | null) => (ms ? new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z') : '-');

function table(rows: string[][]): string {
  if (!rows.length) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

async function password(opts: Record<string, string | true>, io: Io): Promise<string | undefined> {
  if (opts['password-stdin']) return (await io.stdin()).replace(/\r?\n$/, '');
  return typeof opts.password === 'string' ? opts.password : undefined;
}

function userArg(store: Store, name: string | undefined) {
  if (!name) throw new UsageError('a user name is required');
  const u = store.users.byName(name);
  if (!u) throw new Error(`no user named ${name}`);
  return u;
}

export async function runCli(argv: string[], deps: { store: Store; config: Config }, io: Io): Promise<number> {
  const { store, config } = deps;
  // A separate process: bulk deletes run on its own connection, in batches (busy_timeout waits for the appliance's writer).
  const services = createServices({ store, config, eraser: localEraser(store) });
  const { pos, opts } = parseArgs(argv);
  const [group, cmd, ...rest] = pos;
  if (!group || opts.help) {
    io.out(USAGE);
    return group ? 0 : 2;
  }
  if (group === 'backup') {
    // One word and an argument, unlike the two-word commands below.
    const file = cmd;
    if (!file) throw new UsageError('backup <file>');
    await backupDatabase(store, file, (pct) => io.err(`backup ${pct}%`));
    io.out(`wrote ${file}`);
    return 0;
  }
  switch (`${group} ${cmd ?? ''}`.trim()) {
    case 'user create': {
      const name = rest[0];
      if (!name) throw new UsageError('user create <name>');
      const pw = await password(opts, io);
      if (pw !== undefined && pw.length < 10) throw new Error('passwords are at least 10 characters');
      const role: Role = opts.admin ? 'admin' : 'user';
      const u = await store.users.create({ username: name, role, email: typeof opts.email === 'string' ? opts.email : '', password: pw });
      io.out(`created ${u.role} ${u.username} (id ${u.id})${u.hasPassword ? ', can sign in on the web' : ', API keys only (no password)'}`);
      return 0;
    }
    case 'user list': {
      const rows = [['ID', 'NAME', 'ROLE', 'PASSWORD', 'KEYS', 'ADDRESSES', 'CREATED']];
      for (const u of store.users.list()) {
        const keys = store.keys.listForUser(u.id).filter((k) => !k.revoked).length;
        rows.push([String(u.id), u.username, u.role, u.hasPassword ? 'yes' : 'no', String(keys), String(store.addresses.countForOwner(u.id)), date(u.created)]);
      }
      io.out(rows.length > 1 ? table(rows) : 'no users');
      return 0;
    }
    case 'user password': {
      const u = userArg(store, rest[0]);
      const pw = await password(opts, io);
      if (!pw || pw.length < 10) throw new Error('give a password of at least 10 characters with --password or --password-stdin');
      await store.users.setPassword(u.id, pw);
      store.sessions.removeForUser(u.id);
      io.out(`password set for ${u.username}; their web sessions were signed out`);
      return 0;
    }
    case 'key create': {
      const u = userArg(store, rest[0]);
      const { key, record } = store.keys.create(u.id, typeof opts.name === 'string' ? opts.name : '');
      store.audit.record({ actor: 'cli', action: 'key-create', target: u.username, detail: { keyId: record.id, name: record.name } });
      io.err(`created key ${record.id}${record.name ? ` "${record.name}"` : ''} for ${u.username}. It is shown once; store it now:`);
      io.out(key);
      return 0;
    }
    case 'key list': {
      const only = rest[0] ? userArg(store, rest[0]) : null;
      const keys = only ? store.keys.listForUser(only.id) : store.keys.list();
      const rows = [['ID', 'USER', 'NAME', 'STARTS', 'CREATED', 'LAST USED', 'STATUS']];
      for (const k of keys) {
        rows.push([String(k.id), store.users.byId(k.userId)?.username ?? '?', k.name || '-', k.hint + '…', date(k.created), date(k.lastUsed), k.revoked ? `revoked ${date(k.revoked)}` : 'active']);
      }
      io.out(keys.length ? table(rows) : 'no keys');
      return 0;
    }
    case 'key revoke': {
      const id = Number(rest[0]);
      if (!Number.isInteger(id) || id <= 0) throw new UsageError('key revoke <id> (see key list)');
      const k = store.keys.byId(id);
      if (!k) throw new Error(`no key ${id}`);
      if (k.revoked) throw new Error(`key ${id} was already revoked`);
      store.keys.revoke(id);
      io.out(`revoked key ${id}`);
      return 0;
    }
    case 'address reserve': {
      const a = canonicalAddress(rest[0] ?? '');
      if (!a) throw new UsageError('address reserve <email> --user <name>');
      if (typeof opts.user !== 'string') throw new UsageError('--user <name> is required');
      const u = userArg(store, opts.user);
      const r = await services.addresses.reserve(u.id, a);
      if (!r.ok) {
        if (r.reason === 'foreign-domain') throw new Error(`${a.domain} is not one of the configured domains (${config.domains.join(', ')})`);
        if (r.reason === 'reserved-local-part') throw new Error(`${a.inbox} uses a reserved local part; it is admin-only already`);
        throw new Error(`${a.inbox} is already owned by ${store.addresses.get(a.inbox)?.ownerName ?? 'someone'}`);
      }
      io.out(`${a.inbox} is now private to ${u.username}`);
      return 0;
    }
    case 'address release': {
      const a = canonicalAddress(rest[0] ?? '');
      if (!a) throw new UsageError('address release <email> [--delete-messages]');
      if (!store.addresses.get(a.inbox)) throw new Error(`${a.inbox} is not reserved`);
      const { wiped: wipe, deleted } = await services.addresses.release(a.inbox, { deleteMessages: Boolean(opts['delete-messages']) });
      io.out(`${a.inbox} released${wipe ? `; ${deleted} messages deleted` : '; its mail is public again'}`);
      return 0;
    }
    case 'address list': {
      const only = rest[0] ? userArg(store, rest[0]) : null;
      const list = only ? store.addresses.listForOwner(only.id) : store.addresses.list();
      const rows = [['ADDRESS', 'OWNER', 'MESSAGES', 'FORWARD', 'CREATED']];
      for (const a of list) rows.push([a.address, a.ownerName, String(store.messages.count(a.address)), a.forward ?? '-', date(a.created)]);
      io.out(list.length ? table(rows) : 'no reserved addresses');
      return 0;
    }
    case 'user role': {
      const u = userArg(store, rest[0]);
      const role = rest[1];
      if (role !== 'admin' && role !== 'user') throw new UsageError('user role <name> <admin|user>');
      if (u.role === role) {
        io.out(`${u.username} is already ${role}`);
        return 0;
      }
      if (u.role === 'admin' && store.users.adminCount() <= 1) throw new Error(`${u.username} is the last admin`);
      store.users.setRole(u.id, role);
      store.audit.record({ actor: 'cli', action: 'role-change', target: u.username, detail: { from: u.role, to: role } });
      io.out(`${u.username} is now ${role}`);
      return 0;
    }
    case 'export address':
    case 'export account': {
      let subject: Subject;
      let name: string;
      if (cmd === 'address') {
        const a = canonicalAddress(rest[0] ?? '');
        if (!a) throw new UsageError('export address <email> [--out FILE]');
        subject = { kind: 'address', inbox: a.inbox };
        name = a.inbox;
      } else {
        const u = userArg(store, rest[0]);
        subject = { kind: 'account', userId: u.id };
        name = u.username;
      }
      const file = typeof opts.out === 'string' ? opts.out : safeEntryName(`mailroom-export-${name.replace(/\//g, '_')}.zip`);
      const total = countMessages(store, subject);
      store.audit.record({ actor: 'cli', action: 'export', target: name, detail: { messages: total, account: cmd === 'account' } });
      const out = createWriteStream(file, { mode: 0o600 });
      let last = 0;
      const r = await exportData(
        store,
        subject,
        async (chunk) => {
          if (!out.write(chunk)) await once(out, 'drain');
        },
        {
          config,
          // Progress on stderr, so stdout stays clean for scripts.
          onProgress: ({ done, total: all }) => {
            const pct = all ? Math.floor((done / all) * 100) : 100;
            if (pct >= last + 10 || done === all) {
              last = pct;
              io.err(`exported ${done}/${all} messages (${pct}%)`);
            }
          },
        },
      );
      out.end();
      await once(out, 'close');
      io.out(`wrote ${file}: ${r.messages} messages`);
      return 0;
    }
    case 'delete address':
    case 'delete account': {
      let subject: Subject;
      let name: string;
      if (cmd === 'address') {
        const a = canonicalAddress(rest[0] ?? '');
        if (!a) throw new UsageError('delete address <email> --yes');
        subject = { kind: 'address', inbox: a.inbox };
        name = a.inbox;
      } else {
        const u = userArg(store, rest[0]);
        if (accountDeletionRefusal(store, { auth: { ...config.auth, adminKey: '' } }, u, ADMIN_USERNAME) === 'last-admin') throw new Error(`${u.username} is the last admin`);
        subject = { kind: 'account', userId: u.id };
        name = u.username;
      }
      if (!opts.yes) throw new UsageError(`this deletes everything held for ${name} for good: add --yes`);
      const r = await eraseData({ store, eraser: services.eraser }, subject);
      store.audit.record({ actor: 'cli', action: 'delete-data', target: name, detail: { messages: r.messages, addresses: r.addresses, keys: r.keys, account: cmd === 'account' } });
      io.out(`deleted ${r.messages} messages${cmd === 'account' ? `, ${r.addresses} addresses, ${r.keys} keys, ${r.sessions} sessions and the user` : ''} for ${name}`);
      return 0;
    }
    case 'audit': {
      const limit = typeof opts.limit === 'string' ? Number(opts.limit) : 50;
      const rows = [['ID', 'WHEN', 'WHO', 'ACTION', 'TARGET', 'FROM', 'DETAIL']];
      for (const e of store.audit.list({ limit })) rows.push([String(e.id), date(e.at), e.actor, e.action, e.target, e.ip || '-', JSON.stringify(e.detail)]);
      io.out(rows.length > 1 ? table(rows) : 'the audit log is empty');
      return 0;
    }
    default:
      throw new UsageError(`unknown command: ${pos.join(' ')}`);
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`mailroom: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    process.exit(1);
  }
  const io: Io = {
    out: (s) => process.stdout.write(s + '\n'),
    err: (s) => process.stderr.write(s + '\n'),
    stdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
  const store = openStore(config.storage.dataDir);
  let code: number;
  try {
    ensureAdmin(store, config);
    code = await runCli(process.argv.slice(2), { store, config }, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`mailroom: ${err.message}\n\n${USAGE}`);
      code = 2;
    } else {
      io.err(`mailroom: ${(err as Error).message}`);
      code = 1;
    }
  } finally {
    store.close();
  }
  process.exit(code);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void main();
}
