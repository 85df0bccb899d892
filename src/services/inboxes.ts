// The messages of an inbox (issue 3): read, list, search, star, label, file,
// delete. The API and the account pages both come here, so a message's flags
// and labels follow one set of rules. Who may call which is decided before
// (policy/inbox-access.ts, applied by the adapters' guards); every change is
// checked here again against the same rule (canChangeInbox), so a page or
// route that forgets its guard still cannot change mail (issue 13 item 1:
// the UI's delete form once deleted public mail for anonymous visitors).
// Messages are read and changed through the store's MessageReader, so this
// service runs on either engine (issue 14); who owns an inbox is still read
// from the synchronous address repository (policy/inbox-access.ts).
import type { Config } from '../config.js';
import type { EngineStore } from '../store/engine-store.js';
import type { Principal } from '../http/middleware/principal.js';
import { canChangeInbox, canReadInbox, readerFor } from '../policy/inbox-access.js';
import { isAdmin } from '../http/middleware/principal.js';
import type { MessageView, ListOptions } from '../store/messages.js';
import type { PageOptions, Scope } from '../store/message-queries.js';
import type { MessageEraser } from '../store/bulk-delete.js';
import type { MessageReader } from '../store/message-reader.js';
import { ok, refuse, type Outcome } from './result.js';

/** Mailsac's folders. */
export const FOLDERS = ['inbox', 'all', 'spam', 'trash'] as const;
export const MAX_LABEL = 100;
export const MAX_LABELS = 50;

/** The caller may not change this inbox's mail (anonymous, or not their inbox). */
export type Forbidden = 'forbidden';
export type LabelRefusal = 'bad-label' | 'too-many-labels' | Forbidden;

/** A label is 1 to MAX_LABEL characters once trimmed. */
export function validLabel(given: string): boolean {
  const label = given.trim();
  return label.length > 0 && label.length <= MAX_LABEL;
}

export interface InboxServiceDeps {
  store: EngineStore;
  config: Config;
  eraser: MessageEraser;
}

export class InboxService {
  constructor(private readonly deps: InboxServiceDeps) {}

  private get reader(): MessageReader {
    return this.deps.store.reader;
  }

  // ---- reads

  async message(inbox: string, id: string): Promise<MessageView | null> {
    return this.reader.getInInbox(inbox, id);
  }

  async list(inbox: string, opts: ListOptions = {}): Promise<Array<MessageView & { seq: number }>> {
    return this.reader.list(inbox, opts);
  }

  async count(inbox: string): Promise<number> {
    return this.reader.count(inbox);
  }

  /** Ids to messages, dropping any deleted meanwhile. */
  async load(ids: string[]): Promise<MessageView[]> {
    const found = await Promise.all(ids.map((id) => this.reader.get(id)));
    return found.filter((m): m is MessageView => m !== null);
  }

  /**
   * The principal's starred list: starred mail of the inboxes they own (all,
   * for admins), and what they starred elsewhere, but only while they may
   * still read that inbox (issue 13 item 3).
   */
  async starred(actor: Principal, opts: PageOptions = {}): Promise<MessageView[]> {
    if (actor.kind !== 'user') return [];
    const admin = isAdmin(actor);
    // Its own inboxes and the mail it captured (issue 12); captured copies of other accounts never.
    const scope: Scope = admin ? { kind: 'all' } : { kind: 'account', userId: actor.user.id };
    const ids = await this.reader.starredIds(scope, admin ? null : actor.user.id, { ...opts, reader: readerFor(actor) });
    const loaded = await this.load(ids);
    const readable = await Promise.all(loaded.map((m) => canReadInbox(this.deps, m.inbox, actor)));
    return loaded.filter((_, i) => readable[i]);
  }

  async search(scope: Scope, query: string, opts: PageOptions = {}): Promise<MessageView[]> {
    return this.load(await this.reader.search(scope, query, opts));
  }

  private mayChange(actor: Principal, m: Pick<MessageView, 'inbox'>): Promise<boolean> {
    return canChangeInbox(this.deps, m.inbox, actor);
  }

  // ---- flags

  /**
   * Toggles the star. A starred message survives "delete all" and retention;
   * it is saved by the user who starred it (their starred list).
   */
  async toggleStar(actor: Principal, m: MessageView): Promise<Outcome<MessageView, Forbidden>> {
    if (!(await this.mayChange(actor, m))) return refuse('forbidden');
    const byUserId = actor.kind === 'user' ? actor.user.id : null;
    const starred = !m.starred;
    await this.reader.setStarred(m.id, starred, starred ? byUserId : null);
    return ok((await this.reader.get(m.id))!);
  }

  async addLabel(actor: Principal, m: MessageView, given: string): Promise<Outcome<string[], LabelRefusal>> {
    if (!(await this.mayChange(actor, m))) return refuse('forbidden');
    const label = given.trim();
    if (!validLabel(label)) return refuse('bad-label');
    if (m.labels.includes(label)) return ok(m.labels);
    if (m.labels.length >= MAX_LABELS) return refuse('too-many-labels');
    const labels = [...m.labels, label];
    await this.reader.setLabels(m.id, labels);
    return ok(labels);
  }

  async removeLabel(actor: Principal, m: MessageView, given: string): Promise<Outcome<string[], Forbidden>> {
    if (!(await this.mayChange(actor, m))) return refuse('forbidden');
    const label = given.trim();
    if (!m.labels.includes(label)) return ok(m.labels);
    const labels = m.labels.filter((l) => l !== label);
    await this.reader.setLabels(m.id, labels);
    return ok(labels);
  }

  async setFolder(actor: Principal, m: MessageView, folder: string): Promise<Outcome<string, 'unknown-folder' | Forbidden>> {
    if (!(await this.mayChange(actor, m))) return refuse('forbidden');
    if (!(FOLDERS as readonly string[]).includes(folder)) return refuse('unknown-folder');
    await this.reader.setFolder(m.id, folder);
    return ok(folder);
  }

  async setRead(actor: Principal, m: MessageView, read: boolean): Promise<Outcome<boolean, Forbidden>> {
    if (!(await this.mayChange(actor, m))) return refuse('forbidden');
    await this.reader.setRead(m.id, read);
    return ok(read);
  }

  // ---- deletes

  /** Deletes one message, on this connection; false when it was already gone. The writer scrubs its bytes within a minute (store/scrub.ts). */
  async deleteOne(actor: Principal, m: Pick<MessageView, 'id' | 'inbox'>): Promise<Outcome<boolean, Forbidden>> {
    if (!(await this.mayChange(actor, m))) return refuse('forbidden');
    const deleted = await this.reader.delete(m.id);
    if (deleted) this.deps.eraser.scrubSoon();
    return ok(deleted);
  }

  /** Mailsac's "delete all": every message of the inbox but the starred ones, in batches on the writer thread. */
  async deleteAll(inbox: string): Promise<number> {
    return this.deps.eraser.deleteMessages({ kind: 'inbox', inbox, keepStarred: true });
  }

  /** Every message of a domain, starred too (admins). */
  async deleteDomain(domain: string): Promise<number> {
    return this.deps.eraser.deleteMessages({ kind: 'domain', domain });
  }
}
