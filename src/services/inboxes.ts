// The messages of an inbox (issue 3): read, list, search, star, label, file,
// delete. The API and the account pages both come here, so a message's flags
// and labels follow one set of rules. Who may call which is decided before
// (policy/inbox-access.ts, applied by the adapters' guards).
import type { Store } from '../store/index.js';
import type { MessageView, ListOptions } from '../store/messages.js';
import type { PageOptions, Scope } from '../store/message-queries.js';
import type { MessageEraser } from '../store/bulk-delete.js';
import { ok, refuse, type Outcome } from './result.js';

/** Mailsac's folders. */
export const FOLDERS = ['inbox', 'all', 'spam', 'trash'] as const;
export const MAX_LABEL = 100;
export const MAX_LABELS = 50;

export type LabelRefusal = 'bad-label' | 'too-many-labels';

/** A label is 1 to MAX_LABEL characters once trimmed. */
export function validLabel(given: string): boolean {
  const label = given.trim();
  return label.length > 0 && label.length <= MAX_LABEL;
}

export interface InboxServiceDeps {
  store: Store;
  eraser: MessageEraser;
}

export class InboxService {
  constructor(private readonly deps: InboxServiceDeps) {}

  private get store(): Store {
    return this.deps.store;
  }

  // ---- reads

  async message(inbox: string, id: string): Promise<MessageView | null> {
    return this.store.messages.getInInbox(inbox, id);
  }

  async list(inbox: string, opts: ListOptions = {}): Promise<Array<MessageView & { seq: number }>> {
    return this.store.messages.list(inbox, opts);
  }

  async count(inbox: string): Promise<number> {
    return this.store.messages.count(inbox);
  }

  /** Ids to messages, dropping any deleted meanwhile. */
  async load(ids: string[]): Promise<MessageView[]> {
    return ids.map((id) => this.store.messages.get(id)).filter((m): m is MessageView => m !== null);
  }

  async search(scope: Scope, query: string, opts: PageOptions = {}): Promise<MessageView[]> {
    return this.load(this.store.queries.search(scope, query, opts));
  }

  // ---- flags

  /**
   * Toggles the star. A starred message survives "delete all" and retention;
   * it is saved by the user who starred it (their starred list), by nobody
   * when an anonymous reader starred a public message.
   */
  async toggleStar(m: MessageView, byUserId: number | null): Promise<MessageView> {
    const starred = !m.starred;
    this.store.transaction(() => {
      this.store.messages.setStarred(m.id, starred);
      this.store.queries.setSavedBy(m.id, starred ? byUserId : null);
    });
    return this.store.messages.get(m.id)!;
  }

  async addLabel(m: MessageView, given: string): Promise<Outcome<string[], LabelRefusal>> {
    const label = given.trim();
    if (!validLabel(label)) return refuse('bad-label');
    if (m.labels.includes(label)) return ok(m.labels);
    if (m.labels.length >= MAX_LABELS) return refuse('too-many-labels');
    const labels = [...m.labels, label];
    this.store.messages.setLabels(m.id, labels);
    return ok(labels);
  }

  async removeLabel(m: MessageView, given: string): Promise<string[]> {
    const label = given.trim();
    if (!m.labels.includes(label)) return m.labels;
    const labels = m.labels.filter((l) => l !== label);
    this.store.messages.setLabels(m.id, labels);
    return labels;
  }

  async setFolder(m: MessageView, folder: string): Promise<Outcome<string, 'unknown-folder'>> {
    if (!(FOLDERS as readonly string[]).includes(folder)) return refuse('unknown-folder');
    this.store.messages.setFolder(m.id, folder);
    return ok(folder);
  }

  async setRead(m: MessageView, read: boolean): Promise<void> {
    this.store.messages.setRead(m.id, read);
  }

  // ---- deletes

  async deleteOne(id: string): Promise<boolean> {
    return this.store.messages.delete(id);
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
