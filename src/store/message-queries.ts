// Account-wide message queries for the API (issue 3): an owner's inboxes, the
// starred list, filters and full-text search. Each returns message ids in the
// order every list uses (newest first, insertion order breaking ties), so the
// caller builds the JSON with MessageStore.get and search results line up
// with the inbox list.
import type { DB } from './db.js';
import { capturedVisible, type Reader } from './messages.js';

/** Which messages a reader is asking about. */
export type Scope =
  | { kind: 'all' }
  | { kind: 'owner'; userId: number }
  /**
   * What an account reads account-wide (its lists, search, starred, filters):
   * its own inboxes, plus the mail it sent through Email Capture wherever it
   * was filed (issue 12), except in an inbox that is another account's
   * private one (the sender may not open that inbox, so it is not listed
   * either). Captured copies still pass capturedVisible: given no reader,
   * none shows.
   */
  | { kind: 'account'; userId: number }
  | { kind: 'inbox'; inbox: string }
  | { kind: 'domain'; domain: string; userId?: number };

export interface PageOptions {
  limit?: number;
  /** Only messages received strictly before this (epoch ms). */
  until?: number;
  /** Only messages received at or after this (epoch ms). */
  since?: number;
  skip?: number;
  /** Only messages in this folder. */
  folder?: string;
  /** Who reads: captured mail (issue 12) is listed only for its account and admins; none when absent. */
  reader?: Reader;
}

export interface FilterOptions {
  subject?: string;
  from?: string;
  to?: string;
  read?: boolean;
}

const MAX = 1000;

function scopeSql(scope: Scope): { sql: string; params: unknown[] } {
  switch (scope.kind) {
    case 'all':
      return { sql: '1', params: [] };
    case 'owner':
      // Reserved addresses, and every inbox of the account's verified domains (issue 12).
      return {
        sql: '(m.inbox IN (SELECT address FROM addresses WHERE owner_id = ?) OR m.domain IN (SELECT domain FROM account_domains WHERE owner_id = ? AND verified IS NOT NULL))',
        params: [scope.userId, scope.userId],
      };
    case 'account':
      return {
        sql: `(m.inbox IN (SELECT address FROM addresses WHERE owner_id = ?) OR m.domain IN (SELECT domain FROM account_domains WHERE owner_id = ? AND verified IS NOT NULL)
          OR (m.captured_by = ?
            AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox AND a.owner_id <> ?)
            AND NOT EXISTS (SELECT 1 FROM account_domains d WHERE d.domain = m.domain AND d.owner_id <> ? AND d.verified IS NOT NULL AND d.is_private = 1)))`,
        params: [scope.userId, scope.userId, scope.userId, scope.userId, scope.userId],
      };
    case 'inbox':
      return { sql: 'm.inbox = ?', params: [scope.inbox] };
    case 'domain':
      return scope.userId === undefined
        ? { sql: 'm.domain = ?', params: [scope.domain] }
        : { sql: 'm.domain = ? AND m.inbox IN (SELECT address FROM addresses WHERE owner_id = ?)', params: [scope.domain, scope.userId] };
  }
}

/** LIKE pattern for "contains", with the wildcard characters of the input taken literally (backslash escapes). */
export function contains(s: string): string {
  return '%' + s.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

/**
 * Turns what a person typed into an FTS5 query that cannot be a syntax error
 * (issue 3: quotes, `#`, `*`, `"` are answered, not errors). Every word
 * becomes a quoted phrase, `"` doubled inside it, so FTS5 operators typed by
 * the user (AND, NEAR, column filters, parentheses) are just text. A word
 * ending in `*` is a prefix search. Words with no letter or digit match
 * nothing in the index and are dropped. Null when nothing searchable remains.
 */
/**
 * Whether a query is text a person could type: no NUL or other control
 * characters (issue 13 item 7: a NUL reached FTS5 and was a 500). Adapters
 * answer 400 when this is false; ftsQuery drops them regardless.
 */
export function searchableInput(input: string): boolean {
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(input);
}

export function ftsQuery(input: string): string | null {
  if (!searchableInput(input)) input = input.replace(/[\u0000-\u001f\u007f]/g, ' ');
  const parts: string[] = [];
  for (const word of input.normalize('NFC').split(/\s+/).slice(0, 32)) {
    const prefix = word.endsWith('*');
    const core = word.replace(/\*+$/, '').replace(/"/g, '');
    if (!/[\p{L}\p{N}]/u.test(core)) continue;
    parts.push(`"${core.slice(0, 200)}"${prefix ? '*' : ''}`);
  }
  return parts.length ? parts.join(' ') : null;
}

export class MessageQueries {
  constructor(private readonly db: DB) {}

  private ids(scope: Scope, extra: { sql: string; params: unknown[] }[], opts: PageOptions): string[] {
    const s = scopeSql(scope);
    // Only ready messages are listed, counted or searched (issue 10).
    const visible = capturedVisible(opts.reader);
    const where = [s.sql, 'm.ready = 1', visible.sql, ...extra.map((e) => e.sql)];
    const params = [...s.params, ...visible.params, ...extra.flatMap((e) => e.params)];
    if (opts.until !== undefined) {
      where.push('m.received < ?');
      params.push(opts.until);
    }
    if (opts.since !== undefined) {
      where.push('m.received >= ?');
      params.push(opts.since);
    }
    if (opts.folder !== undefined) {
      where.push('m.folder = ?');
      params.push(opts.folder);
    }
    const limit = Math.max(1, Math.min(opts.limit ?? 20, MAX));
    const skip = Math.max(0, Math.min(opts.skip ?? 0, 1_000_000));
    return this.db
      .prepare(`SELECT m.id FROM messages m WHERE ${where.join(' AND ')} ORDER BY m.received DESC, m.seq DESC LIMIT ? OFFSET ?`)
      .pluck()
      .all(...params, limit, skip) as string[];
  }

  list(scope: Scope, opts: PageOptions = {}): string[] {
    return this.ids(scope, [], opts);
  }

  /**
   * Starred messages in scope, plus (for a user) those that user starred
   * elsewhere, unless that inbox is now another user's (issue 13 item 3: a
   * star must not outlive the right to read). Rules that depend on the
   * configuration are applied by the caller (InboxService.starred).
   */
  starred(scope: Scope, userId: number | null, opts: PageOptions = {}): string[] {
    const s = scopeSql(scope);
    const savedHere = `(m.saved_by = ? AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox AND a.owner_id <> ?))`;
    const mine = userId === null ? { sql: s.sql, params: s.params } : { sql: `(${s.sql} OR ${savedHere})`, params: [...s.params, userId, userId] };
    return this.ids({ kind: 'all' }, [{ sql: 'm.starred = 1', params: [] }, mine], opts);
  }

  count(scope: Scope, reader?: Reader): number {
    const s = scopeSql(scope);
    const v = capturedVisible(reader);
    return this.db.prepare(`SELECT count(*) FROM messages m WHERE ${s.sql} AND m.ready = 1 AND ${v.sql}`).pluck().get(...s.params, ...v.params) as number;
  }

  unread(scope: Scope, reader?: Reader): number {
    const s = scopeSql(scope);
    const v = capturedVisible(reader);
    return this.db.prepare(`SELECT count(*) FROM messages m WHERE m.read = 0 AND m.ready = 1 AND ${s.sql} AND ${v.sql}`).pluck().get(...s.params, ...v.params) as number;
  }

  /** Messages and raw bytes held in scope. */
  usage(scope: Scope): { messages: number; bytes: number } {
    const s = scopeSql(scope);
    return this.db
      .prepare(`SELECT count(*) AS messages, coalesce(sum(c.size), 0) AS bytes FROM messages m JOIN contents c ON c.id = m.content_id WHERE ${s.sql} AND m.ready = 1`)
      .get(...s.params) as { messages: number; bytes: number };
  }

  /**
   * Full-text search over subject, header addresses and text body; [] when
   * the input has nothing searchable. A query that is one address also finds
   * the copies delivered to that address or local part (messages.inbox): each copy's own
   * recipient is searchable, other envelope recipients are not (issue 13 item 5).
   */
  search(scope: Scope, input: string, opts: PageOptions = {}): string[] {
    const q = ftsQuery(input);
    if (!q) return [];
    // One word that is an address, or a local part (`zebra` finds the copies
    // delivered to zebra@ any domain): matched per copy by messages.inbox,
    // through its index, as a list of seqs beside the index's content ids.
    const word = input.trim().toLowerCase();
    const own = /^[^\s@"]+(@[^\s@"]+)?$/.test(word)
      ? word.includes('@')
        ? this.db.prepare('SELECT seq FROM messages WHERE inbox = ? ORDER BY received DESC, seq DESC LIMIT ?').pluck()
        : this.db.prepare(`SELECT seq FROM messages WHERE inbox >= ? || '@' AND inbox < ? || 'A' ORDER BY received DESC, seq DESC LIMIT ?`).pluck()
      : null;
    // A common word can match most of the store, and sorting every match by
    // date cost 241 ms at 1M messages (issue 7). The index is read newest
    // first (rowid = contents.id, which grows with arrival) in a window that
    // doubles until it holds the page asked for in scope, or every match.
    const limit = Math.max(1, Math.min(opts.limit ?? 20, MAX));
    const want = Math.max(0, Math.min(opts.skip ?? 0, 1_000_000)) + limit;
    const window = this.db.prepare('SELECT rowid FROM message_fts WHERE message_fts MATCH ? ORDER BY rowid DESC LIMIT ?').pluck();
    for (let size = Math.max(500, want * 4); ; size *= 4) {
      const matches = window.all(q, size) as number[];
      const seqs = own ? (own.all(...(word.includes('@') ? [word] : [word, word]), size) as number[]) : [];
      const complete = matches.length < size && seqs.length < size;
      const matched = { sql: 'm.content_id IN (SELECT value FROM json_each(?))', params: [JSON.stringify(matches)] as unknown[] };
      // Only when there are own-address hits, so ordinary searches keep their plan.
      if (seqs.length > 0) {
        matched.sql = `(${matched.sql} OR m.seq IN (SELECT value FROM json_each(?)))`;
        matched.params.push(JSON.stringify(seqs));
      }
      const ids = this.ids(scope, [matched], opts);
      if (complete || ids.length >= limit) return ids;
    }
  }

  /**
   * Mailsac's inbox-search: the text, as typed, is a case-insensitive
   * substring of the subject, or of a From or To address (header or envelope),
   * any one of them (issue 12). A LIKE over the rows of the scope, newest
   * first, stopping at the limit: bounded by the scope's own rows, with no
   * index to keep (old stores have no FTS5 trigram index). Addresses are read
   * out of the JSON one by one, so text like `address` or `"` does not match
   * the JSON's own keys and quotes.
   */
  matchAny(scope: Scope, text: string, opts: PageOptions = {}): string[] {
    if (text === '') return [];
    const like = contains(text);
    const s = scopeSql(scope);
    // Captured mail (issue 12) only for its account and admins, as in every other list.
    const visible = capturedVisible(opts.reader);
    const limit = Math.max(1, Math.min(opts.limit ?? 100, MAX));
    const inAddresses = (col: string) => `EXISTS (SELECT 1 FROM json_each(c.${col}) j WHERE json_extract(j.value, '$.address') LIKE ? ESCAPE '\\')`;
    return this.db
      .prepare(
        `SELECT m.id FROM messages m JOIN contents c ON c.id = m.content_id
         WHERE ${s.sql} AND m.ready = 1 AND ${visible.sql} AND (
           c.subject LIKE ? ESCAPE '\\' OR m.inbox LIKE ? ESCAPE '\\' OR c.mail_from LIKE ? ESCAPE '\\'
           OR ${inAddresses('from_json')} OR ${inAddresses('to_json')})
         ORDER BY m.received DESC, m.seq DESC LIMIT ?`,
      )
      .pluck()
      .all(...s.params, ...visible.params, like, like, like, like, like, limit) as string[];
  }

  /** Mailsac's inbox-filter: every given condition must hold (substring, case-insensitive). */
  filter(scope: Scope, f: FilterOptions, opts: PageOptions = {}): string[] {
    const extra: { sql: string; params: unknown[] }[] = [];
    const needsContent = f.subject !== undefined || f.from !== undefined || f.to !== undefined;
    if (f.subject !== undefined) extra.push({ sql: `c.subject LIKE ? ESCAPE '\\'`, params: [contains(f.subject)] });
    if (f.from !== undefined) extra.push({ sql: `(c.from_json LIKE ? ESCAPE '\\' OR c.mail_from LIKE ? ESCAPE '\\')`, params: [contains(f.from), contains(f.from)] });
    if (f.to !== undefined) extra.push({ sql: `(c.to_json LIKE ? ESCAPE '\\' OR m.inbox = ?)`, params: [contains(f.to), f.to.toLowerCase()] });
    if (f.read !== undefined) extra.push({ sql: 'm.read = ?', params: [f.read ? 1 : 0] });
    if (!needsContent) return this.ids(scope, extra, opts);
    const s = scopeSql(scope);
    extra.push(capturedVisible(opts.reader));
    const limit = Math.max(1, Math.min(opts.limit ?? 100, MAX));
    return this.db
      .prepare(
        `SELECT m.id FROM messages m JOIN contents c ON c.id = m.content_id
         WHERE ${[s.sql, 'm.ready = 1', ...extra.map((e) => e.sql)].join(' AND ')} ORDER BY m.received DESC, m.seq DESC LIMIT ?`,
      )
      .pluck()
      .all(...s.params, ...extra.flatMap((e) => e.params), limit) as string[];
  }

  savedBy(id: string): number | null {
    return (this.db.prepare(`SELECT saved_by FROM messages WHERE id = ?`).pluck().get(id) as number | null | undefined) ?? null;
  }

  /**
   * When an address becomes someone's: stars other users put on its mail
   * while it was public are theirs, not the new owner's, so they go (the
   * message is no longer starred, and no longer names them).
   */
  dropForeignStars(inbox: string, ownerId: number): void {
    this.db.prepare(`UPDATE messages SET starred = 0, saved_by = NULL WHERE inbox = ? AND saved_by IS NOT NULL AND saved_by <> ?`).run(inbox, ownerId);
  }

  setSavedBy(id: string, userId: number | null): void {
    this.db.prepare(`UPDATE messages SET saved_by = ? WHERE id = ?`).run(userId, id);
  }

  /** Up to `limit` ids of messages in scope, ready or not: what a bulk delete removes (issue 10). */
  anyIds(scope: Scope, limit: number): string[] {
    const s = scopeSql(scope);
    return this.db.prepare(`SELECT m.id FROM messages m WHERE ${s.sql} LIMIT ?`).pluck().all(...s.params, limit) as string[];
  }

  /** Ids of messages in scope that are not starred (ready or not): what "delete all" removes. */
  unstarredIds(scope: Scope): string[] {
    const s = scopeSql(scope);
    return this.db.prepare(`SELECT m.id FROM messages m WHERE m.starred = 0 AND ${s.sql}`).pluck().all(...s.params) as string[];
  }
}
