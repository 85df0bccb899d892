// Argument parsing for the admin CLI: positional words and --options, and
// the small readers every command shares. Usage errors exit 2 (main.ts).
import type { EngineStore } from '../store/engine-store.js';
import type { Store } from '../store/index.js';
import type { User } from '../store/users.js';
import type { Config } from '../config.js';
import type { Services } from '../services/index.js';

export class UsageError extends Error {}

export type Options = Record<string, string | true>;

/** Options that take no value. Every other --option takes the next word (or `=value`). */
const FLAGS = ['admin', 'password-stdin', 'delete-messages', 'help', 'yes', 'all-failed'];

export function parseArgs(argv: string[]): { pos: string[]; opts: Options } {
  const pos: string[] = [];
  const opts: Options = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (v !== undefined) opts[k] = v;
      else if (FLAGS.includes(k)) opts[k] = true;
      else if (i + 1 < argv.length) opts[k] = argv[++i]!;
      else throw new UsageError(`--${k} needs a value`);
    } else pos.push(a);
  }
  return { pos, opts };
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: () => Promise<string>;
  /**
   * Rewrites the last line of stderr in place (a progress bar); present only
   * when stderr is a terminal. Without it, progress goes out as lines (a pipe,
   * a log file, a test).
   */
  errLive?: (s: string) => void;
}

/** What a command gets: the words after its name, the options, and the parts it works with. */
export interface CommandContext {
  args: string[];
  opts: Options;
  io: Io;
  store: EngineStore;
  config: Config;
  services: Services;
}

/** Exit code: 0 done. Failures throw (Error: 1, UsageError: 2). */
export type Command = (ctx: CommandContext) => Promise<number>;

/** A string option, or undefined when absent or given as a bare flag. */
export function stringOpt(opts: Options, name: string): string | undefined {
  const v = opts[name];
  return typeof v === 'string' ? v : undefined;
}

/** --password-stdin (one line, its newline dropped) or --password P. */
export async function passwordOpt(opts: Options, io: Io): Promise<string | undefined> {
  if (opts['password-stdin']) return (await io.stdin()).replace(/\r?\n$/, '');
  return stringOpt(opts, 'password');
}

/** The user named by an argument; a missing name is a usage error, an unknown one a failure. */
export async function userArg(ctx: Pick<CommandContext, 'services'>, name: string | undefined): Promise<User> {
  if (!name) throw new UsageError('a user name is required');
  const u = await ctx.services.accounts.byName(name);
  if (!u) throw new Error(`no user named ${name}`);
  return u;
}

/** A positive integer option, or undefined when absent. */
export function positiveOpt(opts: Options, name: string): number | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

/**
 * The SQLite store for a command that works on the SQLite file itself; on
 * PostgreSQL it fails saying what to use instead.
 */
export function sqliteStoreFor(store: EngineStore, command: string, instead: string): Store {
  if (store.engine !== 'sqlite') throw new Error(`${command} works on the embedded SQLite store; with storage.engine ${store.engine}, ${instead}`);
  return store as Store;
}
