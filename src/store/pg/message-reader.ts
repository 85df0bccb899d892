// MessageReader on the PostgreSQL engine (issue 14): the SQL of
// MessageStore's and MessageQueries' reads against the schema of
// migrations/, with the same rules: only ready messages are listed, counted
// or searched; captured copies (issue 12) only for their account and admins
// (capturedVisible); newest first, arrival order (seq) breaking ties; the
// same account scopes; the same search semantics (message-search.ts).
// Any node reads what any node committed.
import { inflateRaw } from 'node:zlib';
import { promisify } from 'node:util';
import type { PendingQuery, Row as PgRow } from 'postgres';
import type { Sql } from './driver.js';
import type { AttachmentMeta, ListOptions, MessageBody, MessageView, Reader } from '../messages.js';
import { mayReadCaptured } from '../messages.js';
import { contains, searchableInput, type FilterOptions, type PageOptions, type Scope } from '../message-queries.js';
import type { ListedMessage, MessageReader } from '../message-reader.js';
import { searchQuery } from './message-search.js';
import { BODY_DICTIONARY_BYTES, decodeBody, needsRawDictionary, rawHead, RAW_HEAD_STORED_BYTES } from '../body-codec.js';

const inflateRawAsync = promisify(inflateRaw);

type Fragment = PendingQuery<PgRow[]>;
type Row = Record<string, any>;
type PageRow = { id: string; received: number; seq: number };

/** MessageQueries' page bound (MAX) and MessageStore's list bound. */
const MAX = 1000;

const LIST_COLUMNS = `m.seq, m.id, m.content_id, m.inbox, m.original_inbox, m.domain, m.received, m.read, m.starred, m.folder, m.labels_json, m.captured_by,
  c.size, c.mail_from, c.rcpt_to, c.ip, c.helo, c.tls, c.parse_state, c.parse_error, c.subject, c.from_json, c.to_json,
  c.cc_json, c.bcc_json, c.date, c.message_id, c.links_json`;

/** A pending message has no body yet: the SQLite engine's legacy columns default to these. */
const ASCII_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ASCII_LOWER = 'abcdefghijklmnopqrstuvwxyz';

/** SQLSTATE 23503. */
const FOREIGN_KEY_VIOLATION = '23503';

const EMPTY_BODY: MessageBody = { text: '', html: '', headers: [] };

export class PgMessageReader implements MessageReader {
  constructor(private readonly sql: Sql) {}

  // ---- conditions

  private and(parts: Fragment[]): Fragment {
    const sql = this.sql;
    return parts.slice(1).reduce((all, p) => sql`${all} AND ${p}`, parts[0]);
  }

  /** capturedVisible (messages.ts) as a fragment on messages m. */
  private visible(reader?: Reader): Fragment {
    const sql = this.sql;
    if (reader?.admin) return sql`true`;
    if (reader && reader.userId !== null) return sql`(m.captured_by IS NULL OR m.captured_by = ${reader.userId})`;
    return sql`m.captured_by IS NULL`;
  }

  /** message-queries.ts scopeSql, condition for condition. */
  private scope(scope: Scope): Fragment {
    const sql = this.sql;
    switch (scope.kind) {
      case 'all':
        return sql`true`;
      case 'owner':
        return sql`(m.inbox IN (SELECT address FROM addresses WHERE owner_id = ${scope.userId})
          OR m.domain IN (SELECT domain FROM account_domains WHERE owner_id = ${scope.userId} AND verified IS NOT NULL))`;
      case 'account':
        return sql`(m.inbox IN (SELECT address FROM addresses WHERE owner_id = ${scope.userId})
          OR m.domain IN (SELECT domain FROM account_domains WHERE owner_id = ${scope.userId} AND verified IS NOT NULL)
          OR (m.captured_by = ${scope.userId}
            AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox AND a.owner_id <> ${scope.userId})
            AND NOT EXISTS (SELECT 1 FROM account_domains d WHERE d.domain = m.domain AND d.owner_id <> ${scope.userId} AND d.verified IS NOT NULL AND d.is_private)))`;
      case 'inbox':
        return sql`m.inbox = ${scope.inbox}`;
      case 'domain':
        return scope.userId === undefined
          ? sql`m.domain = ${scope.domain}`
          : sql`m.domain = ${scope.domain} AND m.inbox IN (SELECT address FROM addresses WHERE owner_id = ${scope.userId})`;
    }
  }

  // ---- one message

  async get(id: string): Promise<MessageView | null> {
    const rows = await this.sql<Row[]>`SELECT ${this.sql.unsafe(LIST_COLUMNS)} FROM messages m JOIN contents c ON c.id = m.content_id WHERE m.id = ${id}`;
    if (!rows.length) return null;
    return (await this.views(rows))[0];
  }

  async getInInbox(inbox: string, id: string, reader?: Reader): Promise<MessageView | null> {
    const m = await this.get(id);
    return m && m.inbox === inbox && mayReadCaptured(m, reader) ? m : null;
  }

  /** Inflated on libuv's thread pool, as MessageStore.rawAsync: a 20 MB message does not hold the event loop. */
  async raw(contentId: number): Promise<Buffer | null> {
    const [row] = await this.sql<{ raw: Buffer; raw_encoding: string }[]>`SELECT raw, raw_encoding FROM contents WHERE id = ${contentId}`;
    if (!row) return null;
    return row.raw_encoding === 'deflate' ? inflateRawAsync(row.raw) : row.raw;
  }

  /** As MessageStore.storedBody: a document deflated against its raw message comes with the start of the stored raw (its dictionary). */
  async storedBody(contentId: number): Promise<{ z: Buffer; rawHead?: Buffer; rawEncoding?: string } | { body: MessageBody } | null> {
    const [row] = await this.sql<{ body_z: Buffer | null; raw_head: Buffer; raw_encoding: string }[]>`
      SELECT body_z, substring(raw FROM 1 FOR CASE raw_encoding WHEN 'deflate' THEN ${RAW_HEAD_STORED_BYTES}::int ELSE ${BODY_DICTIONARY_BYTES}::int END) AS raw_head,
        raw_encoding
      FROM contents WHERE id = ${contentId}`;
    if (!row) return null;
    if (!row.body_z) return { body: { ...EMPTY_BODY, headers: [] } };
    return needsRawDictionary(row.body_z) ? { z: row.body_z, rawHead: row.raw_head, rawEncoding: row.raw_encoding } : { z: row.body_z };
  }

  async body(contentId: number): Promise<MessageBody | null> {
    const stored = await this.storedBody(contentId);
    if (!stored) return null;
    if ('body' in stored) return stored.body;
    const { rawHead: head, rawEncoding } = stored;
    if (head && rawEncoding) return decodeBody(stored.z, () => rawHead(head, rawEncoding));
    return JSON.parse((await inflateRawAsync(stored.z)).toString('utf8')) as MessageBody;
  }

  async attachments(contentId: number): Promise<AttachmentMeta[]> {
    return (await this.attachmentsOf([contentId])).get(contentId) ?? [];
  }

  async attachmentData(sha256: string): Promise<Buffer | null> {
    const [row] = await this.sql<{ data: Buffer }[]>`SELECT data FROM blobs WHERE sha256 = ${sha256}`;
    return row?.data ?? null;
  }

  // ---- one inbox or domain

  list(inbox: string, opts: ListOptions = {}): Promise<ListedMessage[]> {
    return this.query(this.sql`m.inbox = ${inbox}`, opts);
  }

  listDomain(domain: string, opts: ListOptions = {}): Promise<ListedMessage[]> {
    return this.query(this.sql`m.domain = ${domain}`, opts);
  }

  private async query(where: Fragment, opts: ListOptions): Promise<ListedMessage[]> {
    const sql = this.sql;
    const limit = Math.max(1, Math.min(opts.limit ?? 20, MAX));
    const parts = [where, sql`m.ready`, this.visible(opts.reader)];
    if (opts.until !== undefined) parts.push(sql`m.received < ${opts.until}`);
    if (opts.before) parts.push(sql`(m.received, m.seq) < (${opts.before.received}, ${opts.before.seq})`);
    const rows = await sql<Row[]>`
      SELECT ${sql.unsafe(LIST_COLUMNS)} FROM messages m JOIN contents c ON c.id = m.content_id
      WHERE ${this.and(parts)} ORDER BY m.received DESC, m.seq DESC LIMIT ${limit}`;
    const views = await this.views(rows);
    return views.map((v, i) => ({ ...v, seq: rows[i].seq as number }));
  }

  async count(inbox: string, reader?: Reader): Promise<number> {
    const [{ n }] = await this.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM messages m WHERE m.inbox = ${inbox} AND m.ready AND ${this.visible(reader)}`;
    return n;
  }

  async countAll(inbox: string): Promise<number> {
    const [{ n }] = await this.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM messages WHERE inbox = ${inbox}`;
    return n;
  }

  async idsInArrivalOrder(inbox: string): Promise<string[]> {
    const rows = await this.sql<{ id: string }[]>`SELECT id FROM messages WHERE inbox = ${inbox} ORDER BY seq`;
    return rows.map((r) => r.id);
  }

  async pendingCount(): Promise<number> {
    const [{ n }] = await this.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM contents WHERE parse_state = 'pending'`;
    return n;
  }

  // ---- per-message changes

  async setRead(id: string, read: boolean): Promise<void> {
    await this.sql`UPDATE messages SET read = ${read} WHERE id = ${id}`;
  }

  async setStarred(id: string, starred: boolean, savedBy: number | null): Promise<void> {
    await this.sql`UPDATE messages SET starred = ${starred}, saved_by = ${savedBy} WHERE id = ${id}`;
  }

  async savedBy(id: string): Promise<number | null> {
    const [row] = await this.sql<{ saved_by: number | null }[]>`SELECT saved_by FROM messages WHERE id = ${id}`;
    return row?.saved_by ?? null;
  }

  async setFolder(id: string, folder: string): Promise<void> {
    await this.sql`UPDATE messages SET folder = ${folder} WHERE id = ${id}`;
  }

  async setLabels(id: string, labels: string[]): Promise<void> {
    await this.sql`UPDATE messages SET labels_json = ${JSON.stringify(labels)} WHERE id = ${id}`;
  }

  async dropForeignStars(inbox: string, ownerId: number): Promise<void> {
    await this.sql`UPDATE messages SET starred = false, saved_by = NULL WHERE inbox = ${inbox} AND saved_by IS NOT NULL AND saved_by <> ${ownerId}`;
  }

  /**
   * MessageStore.deleteOne. Nodes delete concurrently: the content row is
   * locked first, so of two copies deleted at once on two nodes, the second
   * transaction sees the first's delete and removes the content (neither
   * would, each seeing the other's copy still there, without the lock).
   */
  delete(id: string): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const [m] = await tx<{ content_id: number }[]>`SELECT content_id FROM messages WHERE id = ${id}`;
      if (!m) return false;
      const contentId = m.content_id;
      await tx`SELECT id FROM contents WHERE id = ${contentId} FOR UPDATE`;
      const deleted = await tx`DELETE FROM messages WHERE id = ${id}`;
      if (deleted.count === 0) return false; // another node deleted it meanwhile
      const [{ refs }] = await tx<{ refs: number }[]>`SELECT count(*)::int AS refs FROM messages WHERE content_id = ${contentId}`;
      if (refs === 0) {
        const blobs = await tx<{ sha256: string }[]>`DELETE FROM attachments WHERE content_id = ${contentId} RETURNING sha256`;
        await tx`DELETE FROM contents WHERE id = ${contentId}`;
        for (const sha of new Set(blobs.map((b) => b.sha256))) {
          // Another node may be storing a message with the same attachment
          // right now: its attachment row is not visible here yet, so the
          // blob looks unused, and the delete waits for that transaction and
          // then fails on the foreign key. The blob is in use after all:
          // keep it, and let the rest of this delete commit.
          try {
            await tx.savepoint((sp) => sp`DELETE FROM blobs b WHERE b.sha256 = ${sha} AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = b.sha256)`);
          } catch (err) {
            if ((err as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw err;
          }
        }
      }
      return true;
    });
  }

  // ---- account-wide, by scope

  /** MessageQueries.ids: ready, visible to the reader, in scope, newest first, limit and skip as there. */
  private async ids(scope: Scope, extra: Fragment[], opts: PageOptions, joinContents = false): Promise<string[]> {
    return (await this.page(scope, extra, opts, joinContents)).map((r) => r.id);
  }

  /** The page of ids with their sort keys (search merges two pages). */
  private page(scope: Scope, extra: Fragment[], opts: PageOptions, joinContents = false, maxLimit = MAX): Promise<PageRow[]> {
    const sql = this.sql;
    const parts = [this.scope(scope), sql`m.ready`, this.visible(opts.reader), ...extra];
    if (opts.until !== undefined) parts.push(sql`m.received < ${opts.until}`);
    if (opts.since !== undefined) parts.push(sql`m.received >= ${opts.since}`);
    if (opts.folder !== undefined) parts.push(sql`m.folder = ${opts.folder}`);
    const limit = Math.max(1, Math.min(opts.limit ?? 20, maxLimit));
    const skip = Math.max(0, Math.min(opts.skip ?? 0, 1_000_000));
    return sql<PageRow[]>`
      SELECT m.id, m.received, m.seq FROM messages m ${joinContents ? sql`JOIN contents c ON c.id = m.content_id` : sql``}
      WHERE ${this.and(parts)} ORDER BY m.received DESC, m.seq DESC LIMIT ${limit} OFFSET ${skip}`;
  }

  listIds(scope: Scope, opts: PageOptions = {}): Promise<string[]> {
    return this.ids(scope, [], opts);
  }

  starredIds(scope: Scope, userId: number | null, opts: PageOptions = {}): Promise<string[]> {
    const sql = this.sql;
    const s = this.scope(scope);
    // What userId starred elsewhere, unless that inbox is now another user's (issue 13 item 3).
    const mine =
      userId === null
        ? s
        : sql`(${s} OR (m.saved_by = ${userId} AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.address = m.inbox AND a.owner_id <> ${userId})))`;
    return this.ids({ kind: 'all' }, [sql`m.starred`, mine], opts);
  }

  async countIn(scope: Scope, reader?: Reader): Promise<number> {
    const [{ n }] = await this.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM messages m WHERE ${this.scope(scope)} AND m.ready AND ${this.visible(reader)}`;
    return n;
  }

  async unread(scope: Scope, reader?: Reader): Promise<number> {
    const [{ n }] = await this.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM messages m WHERE NOT m.read AND m.ready AND ${this.scope(scope)} AND ${this.visible(reader)}`;
    return n;
  }

  async usage(scope: Scope): Promise<{ messages: number; bytes: number }> {
    const [row] = await this.sql<{ messages: number; bytes: number }[]>`
      SELECT count(*)::int AS messages, coalesce(sum(c.size), 0)::bigint AS bytes
      FROM messages m JOIN contents c ON c.id = m.content_id WHERE ${this.scope(scope)} AND m.ready`;
    return { messages: row.messages, bytes: row.bytes };
  }

  /**
   * MessageQueries.search: the tsvector under its GIN index, plus, for a
   * query that is one address or local part, the copies delivered to it
   * (messages.inbox; each copy's own recipient, never the other envelope
   * recipients). The two are separate queries whose pages are merged:
   * OR-ed in one WHERE they kept PostgreSQL from using either index, and a
   * one-word search for a rare word read every message (540 ms at 200,000
   * messages, against 3 ms apart). The local part is matched through the
   * pattern index of migration 004.
   */
  async search(scope: Scope, input: string, opts: PageOptions = {}): Promise<string[]> {
    const sql = this.sql;
    const query = searchQuery(sql, input);
    if (!query) return [];
    const word = input.trim().toLowerCase();
    // No inbox holds a control character, and PostgreSQL refuses NUL in text (SQLite just finds nothing).
    const own =
      searchableInput(word) && /^[^\s@"]+(@[^\s@"]+)?$/.test(word)
        ? word.includes('@')
          ? sql`m.inbox = ${word}`
          : sql`m.inbox LIKE ${word.replace(/[\\%_]/g, (c) => '\\' + c) + '@%'}`
        : null;
    const text = sql`c.search @@ (${query})`;
    if (!own) return this.ids(scope, [text], opts, true);
    // Each page holds skip + limit, merged newest first without repeats, then skipped.
    const limit = Math.max(1, Math.min(opts.limit ?? 20, MAX));
    const skip = Math.max(0, Math.min(opts.skip ?? 0, 1_000_000));
    const both = { ...opts, limit: skip + limit, skip: 0 };
    const [byText, byInbox] = await Promise.all([this.page(scope, [text], both, true, both.limit), this.page(scope, [own], both, false, both.limit)]);
    const merged = new Map<string, PageRow>();
    for (const r of [...byText, ...byInbox]) merged.set(r.id, r);
    return [...merged.values()]
      .sort((a, b) => b.received - a.received || b.seq - a.seq)
      .slice(skip, skip + limit)
      .map((r) => r.id);
  }

  /**
   * SQLite's LIKE folds the case of ASCII letters only ('É' is not 'é'):
   * the same folding on both sides here, so an inbox-search answers alike
   * on both engines. Backslash escapes, as contains() writes them.
   */
  private like(column: Fragment, pattern: string): Fragment {
    return this.sql`translate(${column}, ${ASCII_UPPER}, ${ASCII_LOWER}) LIKE translate(${pattern}::text, ${ASCII_UPPER}, ${ASCII_LOWER}) ESCAPE '\\'`;
  }

  async matchAny(scope: Scope, text: string, opts: PageOptions = {}): Promise<string[]> {
    if (text === '') return [];
    const sql = this.sql;
    const like = contains(text);
    const limit = Math.max(1, Math.min(opts.limit ?? 100, MAX));
    // Addresses read out of the JSON one by one: text like `address` or `"` does not match its keys and quotes.
    const inAddresses = (col: Fragment) =>
      sql`EXISTS (SELECT 1 FROM json_array_elements(${col}::json) j WHERE ${this.like(sql`(j.value ->> 'address')`, like)})`;
    const rows = await sql<{ id: string }[]>`
      SELECT m.id FROM messages m JOIN contents c ON c.id = m.content_id
      WHERE ${this.scope(scope)} AND m.ready AND ${this.visible(opts.reader)} AND (
        ${this.like(sql`c.subject`, like)} OR ${this.like(sql`m.inbox`, like)} OR ${this.like(sql`c.mail_from`, like)}
        OR ${inAddresses(sql`c.from_json`)} OR ${inAddresses(sql`c.to_json`)})
      ORDER BY m.received DESC, m.seq DESC LIMIT ${limit}`;
    return rows.map((r) => r.id);
  }

  async filter(scope: Scope, f: FilterOptions, opts: PageOptions = {}): Promise<string[]> {
    const sql = this.sql;
    const extra: Fragment[] = [];
    const needsContent = f.subject !== undefined || f.from !== undefined || f.to !== undefined;
    if (f.subject !== undefined) extra.push(this.like(sql`c.subject`, contains(f.subject)));
    if (f.from !== undefined) extra.push(sql`(${this.like(sql`c.from_json`, contains(f.from))} OR ${this.like(sql`c.mail_from`, contains(f.from))})`);
    if (f.to !== undefined) extra.push(sql`(${this.like(sql`c.to_json`, contains(f.to))} OR m.inbox = ${f.to.toLowerCase()})`);
    if (f.read !== undefined) extra.push(sql`m.read = ${f.read}`);
    // As MessageQueries.filter: without a content condition it is a plain page (default 20), else up to 100.
    if (!needsContent) return this.ids(scope, extra, opts);
    const limit = Math.max(1, Math.min(opts.limit ?? 100, MAX));
    const rows = await sql<{ id: string }[]>`
      SELECT m.id FROM messages m JOIN contents c ON c.id = m.content_id
      WHERE ${this.and([this.scope(scope), sql`m.ready`, ...extra, this.visible(opts.reader)])}
      ORDER BY m.received DESC, m.seq DESC LIMIT ${limit}`;
    return rows.map((r) => r.id);
  }

  async capturedCount(userId: number): Promise<number> {
    const [{ n }] = await this.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM messages WHERE captured_by = ${userId}`;
    return n;
  }

  // ---- rows to views

  private async attachmentsOf(contentIds: number[]): Promise<Map<number, AttachmentMeta[]>> {
    const byContent = new Map<number, AttachmentMeta[]>();
    if (!contentIds.length) return byContent;
    const rows = await this.sql<Row[]>`
      SELECT content_id, idx, md5, sha256, filename, content_type, size, cid, inline FROM attachments
      WHERE content_id IN ${this.sql([...new Set(contentIds)])} ORDER BY content_id, idx`;
    for (const a of rows) {
      const list = byContent.get(a.content_id) ?? [];
      list.push({ idx: a.idx, md5: a.md5, sha256: a.sha256, filename: a.filename, contentType: a.content_type, size: a.size, cid: a.cid, inline: a.inline });
      byContent.set(a.content_id, list);
    }
    return byContent;
  }

  /** MessageStore.view for each row, attachments read in one query for the page. */
  private async views(rows: Row[]): Promise<MessageView[]> {
    const attachments = await this.attachmentsOf(rows.map((r) => r.content_id));
    return rows.map((r) => ({
      id: r.id,
      contentId: r.content_id,
      inbox: r.inbox,
      originalInbox: r.original_inbox,
      domain: r.domain,
      received: r.received,
      size: r.size,
      mailFrom: r.mail_from,
      rcptTo: JSON.parse(r.rcpt_to),
      ip: r.ip,
      helo: r.helo,
      tls: r.tls,
      capturedBy: r.captured_by ?? null,
      parseState: r.parse_state,
      parseError: r.parse_error,
      subject: r.subject,
      from: JSON.parse(r.from_json),
      to: JSON.parse(r.to_json),
      cc: JSON.parse(r.cc_json),
      bcc: JSON.parse(r.bcc_json),
      date: r.date,
      messageId: r.message_id,
      links: JSON.parse(r.links_json),
      read: r.read,
      starred: r.starred,
      folder: r.folder,
      labels: JSON.parse(r.labels_json),
      attachments: attachments.get(r.content_id) ?? [],
    }));
  }
}
