// Messages: the raw bytes and envelope (contents), one entry per recipient
// inbox (messages), attachments and their deduplicated bytes (blobs).
import { createHash } from 'node:crypto';
import { inflateRaw, inflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';

const inflateRawAsync = promisify(inflateRaw);
import type { DB } from './db.js';
import { newMessageId } from './ids.js';
import { decodeBody, encodeBody, encodeRaw, BODY_DICTIONARY_BYTES, needsRawDictionary, rawHead, deflatedBeforeAck, RAW_DEFLATE_STORED_LEVEL, RAW_HEAD_STORED_BYTES } from './body-codec.js';
import { headerAddresses } from './search-addresses.js';
import type { MailAddress, ParsedMessage } from '../mail/types.js';
import type { WebhookStore } from './webhooks.js';

export interface IncomingRecipient {
  inbox: string;
  original: string;
  domain: string;
}

export interface IncomingMessage {
  raw: Buffer;
  mailFrom: string;
  /** Envelope recipients as accepted; the store keeps one entry per distinct inbox. */
  recipients: IncomingRecipient[];
  ip: string;
  helo: string;
  tls: boolean;
  received: number;
  /**
   * The account that sent it through Email Capture (issue 12): the message
   * is readable by that account and admins only. Absent for MX mail.
   */
  capturedBy?: number | null;
}

/**
 * Who reads, for captured mail (issue 12): a message with capturedBy is
 * visible to that user and admins only. Reads that pass no reader see no
 * captured mail at all, so a read path that forgets to say who reads leaks
 * nothing.
 */
export interface Reader {
  userId: number | null;
  admin: boolean;
}

/** The SQL condition (on messages m) for the captured mail a reader may see, with its parameters. */
export function capturedVisible(reader?: Reader): { sql: string; params: unknown[] } {
  if (reader?.admin) return { sql: '1', params: [] };
  if (reader && reader.userId !== null) return { sql: '(m.captured_by IS NULL OR m.captured_by = ?)', params: [reader.userId] };
  return { sql: 'm.captured_by IS NULL', params: [] };
}

/** Whether this reader may see this message (the same rule as capturedVisible, for one loaded message). */
export function mayReadCaptured(m: Pick<MessageView, 'capturedBy'>, reader?: Reader): boolean {
  return m.capturedBy === null || Boolean(reader?.admin) || (reader !== undefined && reader.userId === m.capturedBy);
}

export interface StoredIds {
  contentId: number;
  messageIds: string[];
}

/** Who a message became visible to when its processing committed (issue 10, "ready"). */
export interface ReadyCopies {
  received: number;
  /** Webhook and Slack deliveries queued in the same commit (0: the webhook queue need not look; absent: not counted, so it looks). */
  deliveries?: number;
  /** capturedBy: push only to that account (and admins), never to the inbox's other watchers. */
  copies: Array<{ id: string; inbox: string; domain: string; capturedBy: number | null }>;
}

export interface AttachmentMeta {
  idx: number;
  md5: string;
  sha256: string;
  filename: string;
  contentType: string;
  size: number;
  cid: string;
  inline: boolean;
}

/** One message as a reader sees it: the per-inbox entry joined with its content. */
export interface MessageView {
  id: string;
  contentId: number;
  inbox: string;
  originalInbox: string;
  domain: string;
  received: number;
  size: number;
  mailFrom: string;
  rcptTo: string[];
  ip: string;
  helo: string;
  tls: boolean;
  /** The account that sent it through Email Capture; null for MX mail. */
  capturedBy: number | null;
  parseState: 'pending' | 'ok' | 'failed';
  parseError: string;
  subject: string;
  from: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  date: number | null;
  messageId: string;
  links: string[];
  read: boolean;
  starred: boolean;
  folder: string;
  labels: string[];
  attachments: AttachmentMeta[];
}

export interface MessageBody {
  text: string;
  html: string;
  headers: Array<[string, string]>;
}

export interface ListOptions {
  limit?: number;
  /** Only messages received strictly before this time (epoch ms): Mailsac's `until`. */
  until?: number;
  /** Keyset cursor from the previous page: messages before this (received, seq). */
  before?: { received: number; seq: number };
  /** Who reads: captured mail is listed only for its account and admins. */
  reader?: Reader;
}

const LIST_COLUMNS = `m.seq, m.id, m.content_id, m.inbox, m.original_inbox, m.domain, m.received, m.read, m.starred, m.folder, m.labels_json, m.captured_by,
  c.size, c.mail_from, c.rcpt_to, c.ip, c.helo, c.tls, c.parse_state, c.parse_error, c.subject, c.from_json, c.to_json,
  c.cc_json, c.bcc_json, c.date, c.message_id, c.links_json`;

type Row = Record<string, any>;

export class MessageStore {
  private readonly stmts;

  constructor(
    private readonly db: DB,
    /** Queues a ready message's webhook deliveries in the transaction that makes it ready (issue 11). */
    private readonly webhooks?: Pick<WebhookStore, 'enqueueForReady'>,
  ) {
    this.stmts = {
      insertContent: db.prepare(
        `INSERT INTO contents (received, size, raw, raw_encoding, sha256, mail_from, rcpt_to, ip, helo, tls)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertMessage: db.prepare(
        `INSERT INTO messages (id, content_id, inbox, original_inbox, domain, received, captured_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      applyParse: db.prepare(
        `UPDATE contents SET parse_state = ?, parse_error = ?, subject = ?, from_json = ?, to_json = ?, cc_json = ?, bcc_json = ?,
           date = ?, message_id = ?, text = '', html = '', headers_json = '[]', body_z = ?, links_json = ? WHERE id = ?`,
      ),
      // Envelope sender and header addresses, never the envelope recipients
      // (search-addresses.ts, issue 13 item 5).
      ftsDelete: db.prepare(`DELETE FROM message_fts WHERE rowid = ?`),
      // VALUES, not INSERT … SELECT: see applyParse (FTS5 flushes at every statement savepoint).
      ftsInsert: db.prepare(`INSERT INTO message_fts (rowid, subject, addresses, body) VALUES (?, ?, ?, ?)`),
      // One row at a time, by rowid: an UPDATE that may change several rows opens a statement savepoint (see applyParse).
      markReady: db.prepare(`UPDATE messages SET ready = 1 WHERE seq = ?`),
      // Any stored form is replaced: the new one holds the same bytes, at the stored level (body-codec.ts).
      compressRaw: db.prepare(`UPDATE contents SET raw = ?, raw_encoding = 'deflate' WHERE id = ?`),
      copiesOf: db.prepare(`SELECT seq, id, inbox, domain, captured_by AS capturedBy FROM messages WHERE content_id = ? ORDER BY seq`),
      parseTarget: db.prepare(`SELECT received, mail_from AS mailFrom, parse_state AS state FROM contents WHERE id = ?`),
      pendingCount: db.prepare(`SELECT count(*) FROM contents WHERE parse_state = 'pending'`).pluck(),
      readyOf: db.prepare(`SELECT ready FROM messages WHERE id = ?`).pluck(),
      insertBlob: db.prepare(`INSERT OR IGNORE INTO blobs (sha256, md5, size, data) VALUES (?, ?, ?, ?)`),
      insertAttachment: db.prepare(
        `INSERT OR REPLACE INTO attachments (content_id, idx, sha256, md5, filename, content_type, size, cid, inline)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      pending: db.prepare(`SELECT id FROM contents WHERE parse_state = 'pending' ORDER BY id`).pluck(),
      failed: db.prepare(`SELECT id FROM contents WHERE parse_state = 'failed' ORDER BY id`).pluck(),
      raw: db.prepare(`SELECT raw, raw_encoding FROM contents WHERE id = ?`),
      // The body with the start of the raw bytes, its dictionary (body-codec.ts rawHead).
      body: db.prepare(`SELECT text, html, headers_json, body_z, substr(raw, 1, CASE raw_encoding WHEN 'deflate' THEN ${RAW_HEAD_STORED_BYTES} ELSE ${BODY_DICTIONARY_BYTES} END) AS raw_head, raw_encoding FROM contents WHERE id = ?`),
      byId: db.prepare(`SELECT ${LIST_COLUMNS} FROM messages m JOIN contents c ON c.id = m.content_id WHERE m.id = ?`),
      attachmentsOf: db.prepare(
        `SELECT idx, md5, sha256, filename, content_type, size, cid, inline FROM attachments WHERE content_id = ? ORDER BY idx`,
      ),
      blob: db.prepare(`SELECT data FROM blobs WHERE sha256 = ?`).pluck(),
      capturedCount: db.prepare(`SELECT count(*) FROM messages WHERE captured_by = ?`).pluck(),
      countAll: db.prepare(`SELECT count(*) FROM messages WHERE inbox = ?`).pluck(),
      deleteMessage: db.prepare(`DELETE FROM messages WHERE id = ?`),
      contentRefs: db.prepare(`SELECT count(*) FROM messages WHERE content_id = ?`).pluck(),
      blobsOfContent: db.prepare(`SELECT DISTINCT sha256 FROM attachments WHERE content_id = ?`).pluck(),
      deleteAttachments: db.prepare(`DELETE FROM attachments WHERE content_id = ?`),
      deleteContent: db.prepare(`DELETE FROM contents WHERE id = ?`),
      blobRefs: db.prepare(`SELECT count(*) FROM attachments WHERE sha256 = ?`).pluck(),
      deleteBlob: db.prepare(`DELETE FROM blobs WHERE sha256 = ?`),
      idsOfInbox: db.prepare(`SELECT id FROM messages WHERE inbox = ?`).pluck(),
      setRead: db.prepare(`UPDATE messages SET read = ? WHERE id = ?`),
      setStarred: db.prepare(`UPDATE messages SET starred = ? WHERE id = ?`),
      setFolder: db.prepare(`UPDATE messages SET folder = ? WHERE id = ?`),
      setLabels: db.prepare(`UPDATE messages SET labels_json = ? WHERE id = ?`),
      stats: db.prepare(`SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM contents) AS contents,
        (SELECT coalesce(sum(size), 0) FROM contents) AS rawBytes`),
    };
  }

  /**
   * Writes the raw message and one entry per distinct recipient inbox. Call it
   * inside a transaction (GroupCommitter) and answer 250 only once that commits.
   */
  insertReceived(msg: IncomingMessage): StoredIds {
    // A small message is deflated here at the level it is kept at (no second
    // deflate in the parse worker: issue 16, run Q; levels 1 and 6 take about
    // the same time for it); a large one is stored as received and compressed
    // after its 250 (applyParse's rawZ).
    const { data, encoding } =
      deflatedBeforeAck(msg.raw.length) ? encodeRaw(msg.raw, RAW_DEFLATE_STORED_LEVEL) : { data: msg.raw, encoding: 'identity' as const };
    const sha = createHash('sha256').update(msg.raw).digest('hex');
    const info = this.stmts.insertContent.run(
      msg.received,
      msg.raw.length,
      data,
      encoding,
      sha,
      msg.mailFrom,
      JSON.stringify(msg.recipients.map((r) => r.original)),
      msg.ip,
      msg.helo,
      msg.tls ? 1 : 0,
    );
    const contentId = Number(info.lastInsertRowid);
    const seen = new Set<string>();
    const messageIds: string[] = [];
    for (const r of msg.recipients) {
      // The same inbox twice (case, +tag, Unicode form) gets one entry (bad-input 5).
      if (seen.has(r.inbox)) continue;
      seen.add(r.inbox);
      const id = newMessageId();
      this.stmts.insertMessage.run(id, contentId, r.inbox, r.original, r.domain, msg.received, msg.capturedBy ?? null);
      messageIds.push(id);
    }
    return { contentId, messageIds };
  }

  /**
   * Stores what the parser derived from the raw bytes. Idempotent: re-parsing
   * replaces it. `bodyZ` is encodeBody(p, raw) when the caller already
   * computed it (the parse worker does, so the writer thread does not spend
   * time on it). `rawZ`: the raw source deflated at the stored level
   * (body-codec.ts); it replaces the stored raw bytes.
   * The message becomes ready (listed, counted, searched) in the same
   * transaction, with the webhook deliveries its inboxes ask for (so a crash
   * after this commit cannot lose them); the copies returned are whom to
   * tell, none if it was deleted.
   */
  applyParse(contentId: number, p: ParsedMessage, bodyZ?: Buffer, rawZ?: Buffer): ReadyCopies {
    const apply = (): ReadyCopies => {
      const target = this.stmts.parseTarget.get(contentId) as { received: number; mailFrom: string; state: string } | undefined;
      // Deleted before its processing committed: nothing to store, nobody to tell.
      if (!target) return { received: 0, deliveries: 0, copies: [] };
      bodyZ ??= encodeBody(p, this.raw(contentId) ?? undefined);
      if (rawZ) this.stmts.compressRaw.run(rawZ, contentId);
      this.stmts.applyParse.run(
        p.ok ? 'ok' : 'failed',
        p.error,
        p.subject,
        JSON.stringify(p.from),
        JSON.stringify(p.to),
        JSON.stringify(p.cc),
        JSON.stringify(p.bcc),
        p.date,
        p.messageId,
        bodyZ,
        JSON.stringify(p.links),
        contentId,
      );
      // FTS5 writes its pending terms out as a new segment whenever a
      // statement opens a statement savepoint (fts5SavepointMethod), and
      // INSERT … SELECT, a DELETE from the index and a DELETE on a table with
      // a foreign key all do. Run for every message, they made one segment
      // per message even in a batch of 64, and FTS5 then spent its time
      // merging them (issue 16, run S). A first parse ('pending': the 250
      // stored the content, nothing derived yet, and applyParse sets the
      // state in the same transaction as the index row and the attachments)
      // has no index row and no attachments to replace, so only a re-parse
      // runs those statements; the insert takes VALUES. A batch's terms then
      // go out at its commit, as one segment.
      if (target.state !== 'pending') {
        this.stmts.ftsDelete.run(contentId);
        this.stmts.deleteAttachments.run(contentId);
      }
      this.stmts.ftsInsert.run(contentId, p.subject, `${target.mailFrom} ${headerAddresses([...p.from, ...p.to, ...p.cc])}`, p.text);
      p.attachments.forEach((a, idx) => {
        this.stmts.insertBlob.run(a.sha256, a.md5, a.size, a.content);
        this.stmts.insertAttachment.run(contentId, idx, a.sha256, a.md5, a.filename, a.contentType, a.size, a.cid, a.inline ? 1 : 0);
      });
      const deliveries = this.webhooks?.enqueueForReady(contentId) ?? 0;
      const copies = (this.stmts.copiesOf.all(contentId) as Array<ReadyCopies['copies'][number] & { seq: number }>).map(({ seq, ...copy }) => {
        this.stmts.markReady.run(seq);
        return copy;
      });
      return { received: target.received, deliveries, copies };
    };
    // Inside a group commit (the parse queue's batches of up to 64) the
    // batch's transaction already makes this atomic: a failing write rolls
    // the batch back and each is retried alone (group-commit.ts), so a
    // SAVEPOINT per message (~9 µs of the ~310 µs a 5 KB result costs to
    // commit, issue 16) buys nothing there.
    return this.db.inTransaction ? apply() : this.db.transaction(apply).immediate();
  }

  /** Acknowledged messages (250 sent) whose processing has not committed yet. */
  pendingCount(): number {
    return this.stmts.pendingCount.get() as number;
  }

  /** null: no such message; false: stored but not ready yet (between the 250 and processing). */
  isReady(id: string): boolean | null {
    const r = this.stmts.readyOf.get(id) as number | undefined;
    return r === undefined ? null : r === 1;
  }

  pendingParse(): number[] {
    return this.stmts.pending.all() as number[];
  }

  /** Contents whose parse failed or hit a wall: what `mailroom reparse --all-failed` retries. */
  failedParse(): number[] {
    return this.stmts.failed.all() as number[];
  }

  raw(contentId: number): Buffer | null {
    const row = this.stmts.raw.get(contentId) as Row | undefined;
    if (!row) return null;
    return row.raw_encoding === 'deflate' ? inflateRawSync(row.raw) : row.raw;
  }

  /**
   * raw(), inflated on libuv's thread pool: what the read routes use, so a
   * 20 MB message does not hold the event loop for the ~100 ms of inflating
   * it (issue 10: no route runs work that grows with a message on the main thread).
   */
  async rawAsync(contentId: number): Promise<Buffer | null> {
    const row = this.stmts.raw.get(contentId) as Row | undefined;
    if (!row) return null;
    return row.raw_encoding === 'deflate' ? inflateRawAsync(row.raw) : row.raw;
  }

  /**
   * The body as stored: the compressed document when there is one, so a
   * reader can hand it to a worker and decode it there (issue 10: decoding a
   * 20 MB body took ~200 ms of the main thread), else the legacy columns.
   */
  storedBody(contentId: number): { z: Buffer; rawHead?: Buffer; rawEncoding?: string } | { body: MessageBody } | null {
    const row = this.stmts.body.get(contentId) as Row | undefined;
    if (!row) return null;
    // The worker inflates the dictionary itself (bounded: rawHead); older documents need none.
    if (row.body_z) return needsRawDictionary(row.body_z) ? { z: row.body_z, rawHead: row.raw_head, rawEncoding: row.raw_encoding } : { z: row.body_z };
    return { body: { text: row.text, html: row.html, headers: JSON.parse(row.headers_json) } };
  }

  body(contentId: number): MessageBody | null {
    const row = this.stmts.body.get(contentId) as Row | undefined;
    if (!row) return null;
    if (row.body_z) return decodeBody(row.body_z, () => rawHead(row.raw_head, row.raw_encoding));
    return { text: row.text, html: row.html, headers: JSON.parse(row.headers_json) };
  }

  get(id: string): MessageView | null {
    const row = this.stmts.byId.get(id) as Row | undefined;
    return row ? this.view(row) : null;
  }

  /**
   * The message only if it belongs to this inbox (ids from another inbox
   * answer null, bad-input 60) and the reader may see it (captured mail).
   */
  getInInbox(inbox: string, id: string, reader?: Reader): MessageView | null {
    const m = this.get(id);
    return m && m.inbox === inbox && mayReadCaptured(m, reader) ? m : null;
  }

  /** Messages an account holds through Email Capture (capture.maxStoredMessages). */
  capturedCount(userId: number): number {
    return this.stmts.capturedCount.get(userId) as number;
  }

  attachments(contentId: number): AttachmentMeta[] {
    return (this.stmts.attachmentsOf.all(contentId) as Row[]).map((a) => ({
      idx: a.idx,
      md5: a.md5,
      sha256: a.sha256,
      filename: a.filename,
      contentType: a.content_type,
      size: a.size,
      cid: a.cid,
      inline: a.inline === 1,
    }));
  }

  attachmentData(sha256: string): Buffer | null {
    return (this.stmts.blob.get(sha256) as Buffer | undefined) ?? null;
  }

  /** Ready messages of one inbox, newest first. */
  list(inbox: string, opts: ListOptions = {}): Array<MessageView & { seq: number }> {
    return this.query({ where: 'm.inbox = ? AND m.ready = 1', params: [inbox], ...opts });
  }

  /** Ready messages of one domain, newest first. */
  listDomain(domain: string, opts: ListOptions = {}): Array<MessageView & { seq: number }> {
    return this.query({ where: 'm.domain = ? AND m.ready = 1', params: [domain], ...opts });
  }

  private query(q: { where: string; params: unknown[] } & ListOptions): Array<MessageView & { seq: number }> {
    const limit = Math.max(1, Math.min(q.limit ?? 20, 1000));
    const visible = capturedVisible(q.reader);
    const where = [q.where, visible.sql];
    const params = [...q.params, ...visible.params];
    if (q.until !== undefined) {
      where.push('m.received < ?');
      params.push(q.until);
    }
    if (q.before) {
      where.push('(m.received < ? OR (m.received = ? AND m.seq < ?))');
      params.push(q.before.received, q.before.received, q.before.seq);
    }
    const rows = this.db
      .prepare(
        `SELECT ${LIST_COLUMNS} FROM messages m JOIN contents c ON c.id = m.content_id
         WHERE ${where.join(' AND ')} ORDER BY m.received DESC, m.seq DESC LIMIT ?`,
      )
      .all(...params, limit) as Row[];
    return rows.map((r) => ({ ...this.view(r), seq: r.seq as number }));
  }

  /** Ready messages in the inbox: what this reader sees. */
  count(inbox: string, reader?: Reader): number {
    const visible = capturedVisible(reader);
    return this.db.prepare(`SELECT count(*) FROM messages m WHERE m.inbox = ? AND m.ready = 1 AND ${visible.sql}`).pluck().get(inbox, ...visible.params) as number;
  }

  /** Every message stored for the inbox, ready or not: what an export or erasure covers. */
  countAll(inbox: string): number {
    return this.stmts.countAll.get(inbox) as number;
  }

  /** Deletes one entry; the content, its attachments and unshared blobs go with the last entry. */
  delete(id: string): boolean {
    return this.db.transaction(() => this.deleteOne(id)).immediate();
  }

  deleteInbox(inbox: string): number {
    return this.db.transaction(() => {
      let n = 0;
      for (const id of this.stmts.idsOfInbox.all(inbox) as string[]) if (this.deleteOne(id)) n++;
      return n;
    }).immediate();
  }

  private deleteOne(id: string): boolean {
    const row = this.stmts.byId.get(id) as Row | undefined;
    if (!row) return false;
    this.stmts.deleteMessage.run(id);
    const contentId = row.content_id as number;
    if ((this.stmts.contentRefs.get(contentId) as number) === 0) {
      const blobs = this.stmts.blobsOfContent.all(contentId) as string[];
      this.stmts.deleteAttachments.run(contentId);
      this.stmts.deleteContent.run(contentId);
      for (const sha of blobs) if ((this.stmts.blobRefs.get(sha) as number) === 0) this.stmts.deleteBlob.run(sha);
    }
    return true;
  }

  setRead(id: string, read: boolean): void {
    this.stmts.setRead.run(read ? 1 : 0, id);
  }

  setStarred(id: string, starred: boolean): void {
    this.stmts.setStarred.run(starred ? 1 : 0, id);
  }

  setFolder(id: string, folder: string): void {
    this.stmts.setFolder.run(folder, id);
  }

  setLabels(id: string, labels: string[]): void {
    this.stmts.setLabels.run(JSON.stringify(labels), id);
  }

  stats(): { messages: number; contents: number; rawBytes: number } {
    return this.stmts.stats.get() as { messages: number; contents: number; rawBytes: number };
  }

  private view(r: Row): MessageView {
    return {
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
      tls: r.tls === 1,
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
      read: r.read === 1,
      starred: r.starred === 1,
      folder: r.folder,
      labels: JSON.parse(r.labels_json),
      attachments: this.attachments(r.content_id),
    };
  }
}
