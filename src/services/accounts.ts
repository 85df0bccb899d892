// Accounts (issue 3, issue 10 part 3): users, their API keys and web
// sessions. The API, the account pages and the CLI come here, so the rules
// (password length, which names a visitor may take, the last admin) exist
// once. Who did it and from where (the audit log) stays with the adapter,
// which knows.
import type { Config } from '../config.js';
import type { EngineStore } from '../store/engine-store.js';
import { USERNAME, type Role, type User } from '../store/users.js';
import { hashKey, type ApiKey } from '../store/api-keys.js';
import { canonicalAddress } from '../policy/address.js';
import { ADMIN_USERNAME, passwordProblem, registrableName, removesLastAdmin, sessionTtlMs, type PasswordProblem } from '../policy/accounts.js';
import { ok, refuse, type Outcome } from './result.js';

export type CreateUserRefusal = PasswordProblem | 'bad-name' | 'taken';
export type KeyRefusal = 'no-such-key' | 'not-yours' | 'already-revoked';

export interface AccountServiceDeps {
  store: EngineStore;
  config: Pick<Config, 'auth'>;
}

export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  private get store(): EngineStore {
    return this.deps.store;
  }

  // ------------------------------------------------------------------ users

  /**
   * A new user. `selfService`: a visitor registering on the web, who may not
   * take a name that looks like the operator's and must set a password; the
   * operator (CLI) may create key-only users.
   */
  async createUser(input: { username: string; password?: string; role?: Role; email?: string; selfService?: boolean }): Promise<Outcome<User, CreateUserRefusal>> {
    const { store } = this;
    if (input.selfService ? !registrableName(input.username) : !USERNAME.test(input.username)) return refuse('bad-name');
    if (input.password !== undefined || input.selfService) {
      const problem = passwordProblem(input.password ?? '');
      if (problem) return refuse(problem);
    }
    if (await store.data.users.byName(input.username)) return refuse('taken');
    return ok(await store.data.users.create({ username: input.username, password: input.password, role: input.role ?? 'user', email: input.email ?? '' }));
  }

  byName(name: string): Promise<User | null> {
    return this.store.data.users.byName(name);
  }

  list(): Promise<User[]> {
    return this.store.data.users.list();
  }

  /** Sets a new password and signs the user out everywhere (whoever had the old one loses the session with it). */
  async setPassword(userId: number, password: string): Promise<Outcome<void, PasswordProblem>> {
    const problem = passwordProblem(password);
    if (problem) return refuse(problem);
    await this.store.data.users.setPassword(userId, password);
    await this.store.data.sessions.removeForUser(userId);
    return ok(undefined);
  }

  /** Changes a user's role; the last admin keeps theirs. changed false: it already was. */
  async setRole(user: User, role: Role): Promise<Outcome<{ changed: boolean }, 'last-admin'>> {
    if (user.role === role) return ok({ changed: false });
    if (removesLastAdmin(user, await this.store.data.users.adminCount())) return refuse('last-admin');
    await this.store.data.users.setRole(user.id, role);
    return ok({ changed: true });
  }

  // ------------------------------------------------------------------ keys

  /** A new API key: the key itself is returned once and only its hash is kept. */
  async createKey(userId: number, name: string): Promise<{ key: string; record: ApiKey }> {
    return this.store.data.keys.create(userId, name.trim().slice(0, 100));
  }

  /** One user's keys, or everyone's. */
  listKeys(userId?: number): Promise<ApiKey[]> {
    return userId === undefined ? this.store.data.keys.list() : this.store.data.keys.listForUser(userId);
  }

  /** Revokes a key; `ownerId`: only if it is theirs (pages), absent: the operator (CLI). */
  async revokeKey(id: number, opts: { ownerId?: number } = {}): Promise<Outcome<ApiKey, KeyRefusal>> {
    const k = Number.isInteger(id) && id > 0 ? await this.store.data.keys.byId(id) : null;
    if (!k) return refuse('no-such-key');
    if (opts.ownerId !== undefined && k.userId !== opts.ownerId) return refuse('not-yours');
    if (k.revoked) return refuse('already-revoked');
    await this.store.data.keys.revoke(k.id);
    return ok(k);
  }

  /**
   * The user an SMTP login names, when the password is one of that user's
   * live API keys (Email Capture, issue 12). The login is the account name or
   * an address the account owns, as Mailsac lets either be the user name.
   * One hash and one indexed lookup, whatever failed, so the reply time does
   * not tell a wrong name from a wrong key.
   */
  async userForKey(login: string, key: string): Promise<User | null> {
    const found = key.length > 0 && key.length <= 200 ? await this.store.data.keys.findByHash(hashKey(key)) : null;
    const name = login.trim().slice(0, 320);
    let user = await this.store.data.users.byName(name);
    if (!user && name.includes('@')) {
      const a = canonicalAddress(name);
      const owner = a ? await this.store.data.addresses.ownerOf(a.inbox) : null;
      user = owner === null ? null : await this.store.data.users.byId(owner);
    }
    if (!found || !user || found.userId !== user.id) return null;
    await this.store.data.keys.touch(found);
    return user;
  }

  // ------------------------------------------------------------------ sessions

  /** The user when name and password match (a missing user costs the same work as a wrong password). */
  async checkPassword(username: string, password: string): Promise<User | null> {
    return this.store.data.users.checkPassword(username.slice(0, 64), password.slice(0, 1024));
  }

  /** Opens a web session; the token goes in the cookie and only its hash is stored. */
  startSession(userId: number): Promise<string> {
    return this.store.data.sessions.create(userId, this.sessionTtlMs());
  }

  signOut(token: string): Promise<void> {
    return this.store.data.sessions.remove(token);
  }

  /** Ends every session of this user, on every device (the table holds only hashes, so revoking is a delete). */
  signOutEverywhere(userId: number): Promise<void> {
    return this.store.data.sessions.removeForUser(userId);
  }

  sessionTtlMs(): number {
    return sessionTtlMs(this.deps.config);
  }
}

/**
 * Makes sure the admin key has a user to act as: creates `admin` (role admin,
 * no password) when auth.adminKey is set and it does not exist, and gives it
 * the admin role if it lost it. main.ts and the CLI call this at startup; resolving
 * the admin key (principal.ts) also calls it, so a test that skips it still works.
 * Returns the admin user, or null when no admin key is configured.
 */
export async function ensureAdmin(store: EngineStore, config: Pick<Config, 'auth'>): Promise<User | null> {
  if (!config.auth.adminKey) return null;
  let existing = await store.data.users.byName(ADMIN_USERNAME);
  if (!existing) {
    try {
      return await store.data.users.createWithoutPassword({ username: ADMIN_USERNAME, role: 'admin' });
    } catch (err) {
      // Made meanwhile (two first admin-key requests at once, or two nodes
      // starting on one PostgreSQL database): the reads are asynchronous now.
      existing = await store.data.users.byName(ADMIN_USERNAME);
      if (!existing) throw err;
    }
  }
  if (existing.role !== 'admin') {
    await store.data.users.setRole(existing.id, 'admin');
    return store.data.users.byId(existing.id);
  }
  return existing;
}
