// The asynchronous read side of messages (issue 14): what the services, the
// API's message routes and push read from the store, and the per-message
// changes the API makes, behind one interface that the SQLite engine
// (sqlite-message-reader.ts, over the synchronous repositories) and the
// PostgreSQL engine (pg/message-reader.ts) both implement. The shapes are
// those MessageStore and MessageQueries return, and the method names theirs,
// so converting a caller is `store.messages.get(id)` →
// `await reader.get(id)`. One contract test suite
// (test/store/message-reader-contract.ts) runs against both engines.
import type { AttachmentMeta, ListOptions, MessageBody, MessageView, Reader } from './messages.js';
import type { FilterOptions, PageOptions, Scope } from './message-queries.js';
import type { StoredBody } from './body-codec.js';

export type ListedMessage = MessageView & { seq: number };

export interface MessageReader {
  // ---- one message (MessageStore)

  /** Any message by id, ready or not, whoever reads: the caller checks the inbox and the reader (getInInbox does both). */
  get(id: string): Promise<MessageView | null>;
  /** The message only if it is in this inbox and the reader may see it (captured copies: their account and admins). */
  getInInbox(inbox: string, id: string, reader?: Reader): Promise<MessageView | null>;
  /** The raw source as received, decompressed (byte-exact); null when gone. */
  raw(contentId: number): Promise<Buffer | null>;
  /** The parsed text, HTML and headers; empty until processed; null when gone. */
  body(contentId: number): Promise<MessageBody | null>;
  /** The body as stored (compressed when it is), for a caller that decodes it off the event loop (message-bodies.ts). */
  storedBody(contentId: number): Promise<{ z: Buffer; rawHead?: Buffer; rawEncoding?: string } | { body: StoredBody } | null>;
  attachments(contentId: number): Promise<AttachmentMeta[]>;
  /** One attachment's bytes, by the sha256 an AttachmentMeta names. */
  attachmentData(sha256: string): Promise<Buffer | null>;

  // ---- one inbox or domain (MessageStore)

  /** Ready messages of one inbox, newest first (received, then arrival), keyset paged by `before`. */
  list(inbox: string, opts?: ListOptions): Promise<ListedMessage[]>;
  listDomain(domain: string, opts?: ListOptions): Promise<ListedMessage[]>;
  /** Ready messages in the inbox that this reader sees. */
  count(inbox: string, reader?: Reader): Promise<number>;
  /** Every message stored for the inbox, ready or not (export, erasure). */
  countAll(inbox: string): Promise<number>;
  /** The ids of every message stored for the inbox, ready or not, oldest arrival (seq) first (the data export). */
  idsInArrivalOrder(inbox: string): Promise<string[]>;
  /** Acknowledged messages whose processing has not committed yet (/healthz). */
  pendingCount(): Promise<number>;

  // ---- per-message changes the API makes (MessageStore, MessageQueries.setSavedBy)

  setRead(id: string, read: boolean): Promise<void>;
  /**
   * Stars or unstars, and records who saved it (the starred list of that
   * user; null: nobody), in one transaction: InboxService.toggleStar's
   * setStarred + setSavedBy.
   */
  setStarred(id: string, starred: boolean, savedBy: number | null): Promise<void>;
  /** Who starred it, while it is starred (json.ts). */
  savedBy(id: string): Promise<number | null>;
  setFolder(id: string, folder: string): Promise<void>;
  setLabels(id: string, labels: string[]): Promise<void>;
  /**
   * When an address becomes someone's: stars other users put on its mail
   * while it was public go (MessageQueries.dropForeignStars; AddressService).
   */
  dropForeignStars(inbox: string, ownerId: number): Promise<void>;
  /** Deletes one copy; the content, its attachments and unshared blobs go with the last copy. False: already gone. */
  delete(id: string): Promise<boolean>;

  // ---- account-wide, by scope (MessageQueries): ids newest first

  /** MessageQueries.list. */
  listIds(scope: Scope, opts?: PageOptions): Promise<string[]>;
  /** MessageQueries.starred: starred in scope, plus what userId starred elsewhere unless that inbox is now another user's. */
  starredIds(scope: Scope, userId: number | null, opts?: PageOptions): Promise<string[]>;
  /** MessageQueries.count. */
  countIn(scope: Scope, reader?: Reader): Promise<number>;
  /** MessageQueries.unread. */
  unread(scope: Scope, reader?: Reader): Promise<number>;
  /** MessageQueries.usage: ready messages and their raw bytes. */
  usage(scope: Scope): Promise<{ messages: number; bytes: number }>;
  /**
   * MessageQueries.search: full text over subject, header addresses and the
   * text body; every word must appear, case and accents folded, `word*` a
   * prefix; a one-word query that is an address or a local part also finds
   * the copies delivered to it. [] when nothing searchable was typed.
   */
  search(scope: Scope, input: string, opts?: PageOptions): Promise<string[]>;
  /**
   * MessageQueries.matchAny, Mailsac's inbox-search: the text as typed is a
   * substring of the subject, the inbox, the envelope sender or a From/To
   * header address; LIKE's case folding (ASCII letters only), `%` and `_` literal.
   */
  matchAny(scope: Scope, text: string, opts?: PageOptions): Promise<string[]>;
  /** MessageQueries.filter, Mailsac's inbox-filter: every given condition holds. */
  filter(scope: Scope, f: FilterOptions, opts?: PageOptions): Promise<string[]>;
  /** Messages an account holds through Email Capture, ready or not (capture.maxStoredMessages). */
  capturedCount(userId: number): Promise<number>;
}
