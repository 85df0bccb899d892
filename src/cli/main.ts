// Admin commands: npm run cli -- <command> (or the `mailroom` bin).
// Works on the same database as the running appliance (SQLite WAL allows a
// second writer process; busy_timeout makes it wait its turn), or on the
// shared PostgreSQL when storage.engine is postgres. Argument
// parsing is in args.ts, each command in commands/, each use-case in
// services/: this file only picks the command and turns failures into exit
// codes.
//
// Exit codes: 0 done, 1 the command failed (message on stderr), 2 usage error.
import { fileURLToPath } from 'node:url';
import { loadConfig, ConfigError, type Config } from '../config.js';
import { openStore, localEraser } from '../store/index.js';
import { sqliteOnly, type EngineStore } from '../store/engine-store.js';
import type { MessageEraser } from '../store/bulk-delete.js';
import { openPool } from '../store/pg/driver.js';
import { runPgMigrations } from '../store/pg/migrate.js';
import { pgStore } from '../store/pg/pg-store.js';
import { PgEraser } from '../store/pg/eraser.js';
import { ensureAdmin } from '../services/accounts.js';
import { createServices } from '../services/index.js';
import { parseArgs, UsageError, type Io } from './args.js';
import { COMMANDS } from './commands/index.js';
import type { MxResolver, TxtResolver } from '../services/domains.js';

export { UsageError };

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
  domain list [<user>]                  accounts' own domains: verified, MX, private, catch-all, push
  domain add <domain> --user <name>     add a domain for an account; prints the DNS records to set
  domain verify <domain>                look up its TXT (and MX) records now; exit 1 while unverified
  domain remove <domain>                stop accepting its mail (stored mail stays)
  user role <name> <admin|user>
  export address <email> [--out FILE]   everything held for an address: ZIP (mbox + manifest.json)
  export account <user> [--out FILE]    everything held for an account
  delete address <email> --yes          delete every message of an address (raw, attachments, search index)
  delete account <user> --yes           delete an account, its addresses' mail, keys and sessions
  audit [--limit N]                     the audit log, newest first
  backup <file>                         online copy of the database, safe while mail arrives
  reparse [--all-failed] [--id ID[,ID…]] [--time-limit-ms N] [--memory-mb N]
                                        parse failed messages again with a larger budget
  migrate-store --to postgres://… [--batch N]
                                        copy this store into PostgreSQL (resumable, verified;
                                        docs/scaling.md); exit 1 when the verification differs

Options read MAILROOM_CONFIG / MAILROOM_DATA_DIR like the server does.`;

const ONE_WORD = ['backup', 'reparse', 'migrate-store'];

export async function runCli(
  argv: string[],
  deps: { store: EngineStore; config: Config; eraser?: MessageEraser; resolveTxt?: TxtResolver; resolveMx?: MxResolver },
  io: Io,
): Promise<number> {
  const { store, config } = deps;
  // A separate process: bulk deletes run on its own connection, in batches
  // (SQLite: busy_timeout waits for the appliance's writer; PostgreSQL: the pool's).
  // The resolvers are a seam for tests (domain verify); the system's DNS otherwise.
  const eraser = deps.eraser ?? localEraser(sqliteOnly(store, 'the CLI eraser'));
  const services = createServices({ store, config, eraser, resolveTxt: deps.resolveTxt, resolveMx: deps.resolveMx });
  const { pos, opts } = parseArgs(argv);
  const [group, cmd, ...rest] = pos;
  if (!group || opts.help) {
    io.out(USAGE);
    return group ? 0 : 2;
  }
  // `backup <file>` is one word and an argument; the others are two words.
  const [name, args] = ONE_WORD.includes(group) ? [group, pos.slice(1)] : [`${group} ${cmd ?? ''}`.trim(), rest];
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(`unknown command: ${pos.join(' ')}`);
  return command({ args, opts, io, store, config, services });
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
    // \r and erase-to-end-of-line: the progress bar redraws itself on a terminal.
    errLive: process.stderr.isTTY ? (s) => process.stderr.write(`\r\x1b[K${s}`) : undefined,
  };
  let code: number;
  let opened: OpenedStore | null = null;
  try {
    opened = await openCliStore(config);
    const { store, eraser } = opened;
    await ensureAdmin(store, config);
    code = await runCli(process.argv.slice(2), { store, config, eraser }, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`mailroom: ${err.message}\n\n${USAGE}`);
      code = 2;
    } else {
      io.err(`mailroom: ${(err as Error).message}`);
      code = 1;
    }
  } finally {
    await opened?.close();
  }
  process.exit(code);
}

interface OpenedStore {
  store: EngineStore;
  eraser: MessageEraser;
  close(): Promise<void>;
}

/** The store the config names: the SQLite file, or the shared PostgreSQL (migrated first, as a node does). */
async function openCliStore(config: Config): Promise<OpenedStore> {
  if (config.storage.engine === 'postgres') {
    if (!config.storage.postgresUrl) throw new Error('storage.postgresUrl is required for the postgres engine');
    const sql = openPool(config.storage.postgresUrl, { max: 2, applicationName: 'mailroom-cli' });
    try {
      await runPgMigrations(sql);
    } catch (err) {
      await sql.end({ timeout: 1 });
      throw err;
    }
    const eraser = new PgEraser(sql);
    return {
      store: pgStore(sql),
      eraser,
      async close() {
        // A delete just made gets its VACUUM before the process exits.
        await eraser.close({ flush: true });
        await sql.end({ timeout: 5 });
      },
    };
  }
  const store = openStore(config.storage.dataDir);
  return { store, eraser: localEraser(store), close: async () => store.close() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void main();
}
