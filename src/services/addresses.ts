// Private addresses (issue 3): reserve, update the forwarding fields, release.
// The API, the account page and the CLI all come here, so the rules (which
// addresses may be reserved, what releasing does to the mail) exist once.
import type { Config } from '../config.js';
import type { EngineStore } from '../store/engine-store.js';
import type { ForwardingFields, OwnedAddress } from '../store/addresses.js';
import type { MessageEraser } from '../store/bulk-delete.js';
import type { Repositories } from '../store/repositories.js';
import { isReservedInbox, localPartOf, reservationProblem, type ReservationProblem } from '../policy/address.js';
import { ok, refuse, type Outcome } from './result.js';

/**
 * over-plan: billing is on and the account's plan has no address left (issue 15; the words: billing.ts UPGRADE_HINT).
 * catch-all: `*@domain` of an account's own domain is the domain's catch-all; its settings are the domain's.
 */
export type ReserveRefusal = ReservationProblem | 'already-yours' | 'taken' | 'over-plan' | 'catch-all';

export interface AddressServiceDeps {
  store: EngineStore;
  config: Pick<Config, 'domains' | 'privacy'>;
  eraser: MessageEraser;
  /** How many more addresses the account may reserve (null: no limit); billing sets it (issue 15). */
  credits?: (userId: number) => Promise<number | null>;
}

export class AddressService {
  constructor(private readonly deps: AddressServiceDeps) {}

  /** Why userId may not reserve this canonical address, or null when it may. */
  refusal(userId: number, a: { inbox: string; domain: string }): Promise<ReserveRefusal | null> {
    return this.check(this.deps.store.data, a.inbox, a.domain, userId);
  }

  private async check(repos: Pick<Repositories, 'addresses' | 'domains'>, inbox: string, domain: string, userId: number): Promise<ReserveRefusal | null> {
    let problem = reservationProblem(this.deps.config, { inbox, domain });
    // An account's own verified domain (issue 12) is as good as a configured
    // one for its owner, who may reserve any local part there; to everyone
    // else every address under it is already the owner's.
    const own = problem === 'foreign-domain' ? await repos.domains.verifiedOwner(domain) : null;
    if (own) {
      if (own.ownerId !== userId) return 'taken';
      problem = isReservedInbox(this.deps.config, inbox) ? 'reserved-local-part' : null;
      if (!problem && localPartOf(inbox) === '*') return 'catch-all';
    }
    if (problem) return problem;
    const owner = await repos.addresses.ownerOf(inbox);
    if (owner === userId) return 'already-yours';
    if (owner !== null) return 'taken';
    return null;
  }

  /** Makes a canonical address private to userId: its mail, past and future, is theirs and admins'. */
  async reserve(userId: number, a: { inbox: string; domain: string }, fields: ForwardingFields = {}): Promise<Outcome<OwnedAddress, ReserveRefusal>> {
    const { store } = this.deps;
    const why = await this.check(store.data, a.inbox, a.domain, userId);
    if (why) return refuse(why);
    if (!(await this.hasCredits(userId, 1))) return refuse('over-plan');
    return ok(
      await store.data.transaction(async (tx) => {
        await tx.addresses.dropForeignStars(a.inbox, userId);
        return tx.addresses.reserve(a.inbox, userId, fields);
      }),
    );
  }

  /** All or none: the first address that cannot be reserved is named and nothing is reserved. */
  async reserveAll(userId: number, wanted: Array<{ inbox: string; domain: string }>): Promise<Outcome<OwnedAddress[], { inbox: string; reason: ReserveRefusal }>> {
    const { store } = this.deps;
    const fresh: typeof wanted = [];
    for (const w of wanted) if ((await store.data.addresses.ownerOf(w.inbox)) !== userId) fresh.push(w);
    if (fresh.length && !(await this.hasCredits(userId, fresh.length))) return { ok: false, reason: { inbox: fresh[0]!.inbox, reason: 'over-plan' } };
    // Every refusal is decided before the transaction begins, so it only
    // writes and fails only on a database error (or an address taken in
    // between, refused by its unique key): on SQLite a transaction that
    // rolls back would take along any write another request made meanwhile
    // on the same connection (repositories.ts).
    const seen = new Set<string>();
    for (const w of wanted) {
      // Named twice: the second time it is already the caller's.
      const why = seen.has(w.inbox) ? 'already-yours' : await this.check(store.data, w.inbox, w.domain, userId);
      if (why) return { ok: false, reason: { inbox: w.inbox, reason: why } };
      seen.add(w.inbox);
    }
    const done = await store.data.transaction(async (tx) => {
      const out: OwnedAddress[] = [];
      for (const w of wanted) {
        await tx.addresses.dropForeignStars(w.inbox, userId);
        out.push(await tx.addresses.reserve(w.inbox, userId, {}));
      }
      return out;
    });
    return ok(done);
  }

  private async hasCredits(userId: number, wanted: number): Promise<boolean> {
    const left = (await this.deps.credits?.(userId)) ?? null;
    return left === null || left >= wanted;
  }

  async update(inbox: string, fields: ForwardingFields): Promise<OwnedAddress | null> {
    return this.deps.store.data.addresses.update(inbox, fields);
  }

  /**
   * Makes a private address public again. Its mail is deleted when asked or
   * when the operator set privacy.releaseDeletesMail; otherwise it becomes
   * public with the address. Mail goes first, in batches on the writer
   * thread: a crash in between leaves a private address with less mail,
   * never public mail that should be gone.
   */
  async release(inbox: string, opts: { deleteMessages?: boolean } = {}): Promise<{ wiped: boolean; deleted: number }> {
    const wiped = this.deps.config.privacy.releaseDeletesMail || opts.deleteMessages === true;
    const deleted = wiped ? await this.deps.eraser.deleteMessages({ kind: 'inbox', inbox }) : 0;
    await this.deps.store.data.addresses.release(inbox);
    return { wiped, deleted };
  }
}
