// The PostgreSQL engine's side of the SMTP write path (issue 14), with the
// SQLite engine's contract (store/writer.ts, group-commit.ts):
//   - ingest() resolves only after PostgreSQL's COMMIT returned with
//     synchronous_commit on (driver.ts sets it on every connection), so the
//     250 still means durable, on a synchronous standby too when there is one;
//   - group commit: one transaction is in flight at a time; the messages that
//     arrive while it is are inserted together by the next one, so one WAL
//     flush (and one network round trip to a standby) serves many sessions.
//     Under load the batch grows by itself to what one commit's latency lets
//     through; an idle node commits a lone message on the next turn;
//   - applyParse() stores a processing result and sets `ready` in the same
//     transaction, with the message's webhook deliveries and its ready event
//     (pg_notify, delivered by PostgreSQL to every node only on commit).
//     Results are batched like SQLite's deferred writes and committed with
//     synchronous_commit off for that transaction only: they are derived
//     from the raw bytes, and a crash that loses them leaves the message
//     'pending', parsed again.
// The SMTP receiver needs only ingest() and pendingMessages (ReceiverDeps),
// so this class can stand where StoreWriter stands once the read side runs
// on PostgreSQL too.
import { webcrypto } from 'node:crypto';
import type { Sql, TransactionSql } from './driver.js';
import type { IncomingMessage, ReadyCopies, StoredIds } from '../messages.js';
import type { ParsedMessage } from '../../mail/types.js';
import { encodeBody, encodeRaw, RAW_DEFLATE_INLINE_MAX } from '../body-codec.js';
import { newMessageId } from '../ids.js';
import { headerAddresses } from '../search-addresses.js';
import { searchText } from './search-text.js';
import { encodeReadyPayload, READY_CHANNEL } from './ready-payload.js';

interface Pending<I, R> {
  input: I;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

interface ParseResult {
  contentId: number;
  parsed: ParsedMessage;
  bodyZ: Buffer;
  rawZ?: Buffer;
}

/** How long a processing result may wait to be batched with others (as group-commit.ts DEFER_MS). */
const DEFER_MS = 20;
/** Rows per INSERT of message copies: 7 parameters each, under PostgreSQL's 65535 per statement. */
const COPY_ROWS_PER_INSERT = 5000;

export class StoreWriteError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface PgWriterStats {
  /** Durable commits of received mail, and the most messages one of them carried. */
  commits: number;
  maxBatch: number;
  /** Commits of processing results. */
  readyCommits: number;
}

export class PgMessageWriter {
  private readonly urgent: Pending<ReceivedRow, StoredIds>[] = [];
  private readonly deferred: Pending<ParseResult, ReadyCopies>[] = [];
  private committing = false;
  private scheduled = false;
  private deferring = false;
  private deferTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  /** Messages being hashed before they join the queue. */
  private preparing = 0;
  private closed = false;
  readonly stats: PgWriterStats = { commits: 0, maxBatch: 0, readyCommits: 0 };

  constructor(
    private readonly sql: Sql,
    private readonly maxBatchSize = 256,
    private readonly maxDeferredBatch = 64,
  ) {}

  /**
   * Stores one received message; resolves once its commit is durable. The
   * contents row and one messages row per distinct inbox, as
   * MessageStore.insertReceived writes them.
   */
  async ingest(message: IncomingMessage): Promise<StoredIds> {
    if (this.closed) throw new StoreWriteError('EWRITER', 'writer closed');
    this.preparing++;
    let row: ReceivedRow;
    try {
      row = await receivedRow(message);
    } finally {
      this.preparing--;
    }
    return new Promise((resolve, reject) => {
      this.urgent.push({ input: row, resolve, reject });
      this.schedule();
    });
  }

  /** Received messages not committed yet (back-pressure, as StoreWriter.pendingMessages counts its own). */
  get pendingMessages(): number {
    return this.preparing + this.urgent.length + this.inFlight;
  }

  /**
   * Stores a processing result and makes the message ready (listed,
   * searched, pushed) in the same transaction. `bodyZ`/`rawZ` as
   * MessageStore.applyParse takes them. Resolves with whom to tell; no
   * copies when the message was deleted meanwhile.
   */
  applyParse(contentId: number, parsed: ParsedMessage, bodyZ: Buffer = encodeBody(parsed), rawZ?: Buffer): Promise<ReadyCopies> {
    if (this.closed) return Promise.reject(new StoreWriteError('EWRITER', 'writer closed'));
    return new Promise((resolve, reject) => {
      this.deferred.push({ input: { contentId, parsed, bodyZ, rawZ }, resolve, reject });
      if (this.deferred.length >= this.maxDeferredBatch) this.flushDeferredSoon();
      else this.deferTimer ??= setTimeout(() => void this.drainDeferred(), DEFER_MS);
    });
  }

  /** Commits the waiting processing results now instead of after DEFER_MS (the last one of a burst). */
  flushDeferredSoon(): void {
    if (!this.deferred.length) return;
    clearTimeout(this.deferTimer);
    this.deferTimer = setTimeout(() => void this.drainDeferred(), 0);
  }

  /** Waits for what was handed in to be committed, then refuses more. The pool is the caller's to end. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.preparing || this.committing || this.deferring || this.urgent.length || this.deferred.length) {
      if (this.deferred.length) this.flushDeferredSoon();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private schedule(): void {
    if (this.committing || this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after pending I/O callbacks, so the other sessions
    // whose final dot arrived in the same poll phase join the first batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.drainUrgent();
    });
  }

  private async drainUrgent(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      // Whatever arrived while a commit was in flight is the next batch.
      while (this.urgent.length) {
        const batch = this.urgent.splice(0, this.maxBatchSize);
        this.inFlight = batch.length;
        await this.commitReceived(batch);
        this.inFlight = 0;
      }
    } finally {
      this.committing = false;
    }
  }

  private async commitReceived(batch: Pending<ReceivedRow, StoredIds>[]): Promise<void> {
    const rows = batch.map((p) => p.input);
    let ids: number[];
    try {
      ids = await this.sql.begin(async (tx) => {
        const ids = (await tx<{ id: number }[]>`
          SELECT nextval(pg_get_serial_sequence('contents', 'id'))::bigint AS id FROM generate_series(1, ${rows.length}::int)`).map((r) => r.id);
        const contents = rows.map((r, i) => ({ id: ids[i], ...r.content }));
        const copies = rows.flatMap((r, i) => r.copies.map((c) => ({ ...c, content_id: ids[i] })));
        const writes = [
          tx`INSERT INTO contents ${tx(contents, 'id', 'received', 'size', 'raw', 'raw_encoding', 'sha256', 'mail_from', 'rcpt_to', 'ip', 'helo', 'tls')}`,
        ];
        for (let i = 0; i < copies.length; i += COPY_ROWS_PER_INSERT) {
          const part = copies.slice(i, i + COPY_ROWS_PER_INSERT);
          writes.push(tx`INSERT INTO messages ${tx(part, 'id', 'content_id', 'inbox', 'original_inbox', 'domain', 'received', 'captured_by')}`);
        }
        // Sent back to back on the transaction's connection (pipelined), run in order.
        await Promise.all(writes);
        return ids;
      });
    } catch (err) {
      // One failing message must not fail its neighbours: each alone, so only
      // the ones that really cannot be stored are refused (their client gets a 4xx).
      if (batch.length > 1 && refusedRows(err)) for (const p of batch) await this.commitReceived([p]);
      else for (const p of batch) p.reject(asWriteError(err));
      return;
    }
    this.stats.commits++;
    this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length);
    batch.forEach((p, i) => p.resolve({ contentId: ids[i], messageIds: rows[i].copies.map((c) => c.id) }));
  }

  private async drainDeferred(): Promise<void> {
    clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    if (this.deferring) {
      // The batch in flight reschedules what is left when it ends.
      return;
    }
    this.deferring = true;
    try {
      while (this.deferred.length) await this.commitParsed(this.deferred.splice(0, this.maxDeferredBatch));
    } finally {
      this.deferring = false;
    }
  }

  private async commitParsed(batch: Pending<ParseResult, ReadyCopies>[]): Promise<void> {
    let results: ReadyCopies[];
    try {
      results = await this.sql.begin(async (tx) => {
        // Derived rows: rebuilt from the raw bytes if a crash loses them.
        await tx`SET LOCAL synchronous_commit TO off`;
        const now = Date.now();
        const stored = await Promise.all(batch.map((p) => storeParse(tx, p.input)));
        const after: Promise<unknown>[] = [];
        const flipped = batch.map((p, i) => {
          if (!stored[i]) return Promise.resolve(null);
          const { writes, becameReady } = attachmentsAndReady(tx, p.input, now);
          after.push(...writes, becameReady);
          return becameReady;
        });
        await Promise.all(after);
        const readyAt = await Promise.all(flipped);
        const results = await Promise.all(
          batch.map(async (p, i): Promise<ReadyCopies> => {
            if (!stored[i]) return { received: 0, copies: [] };
            const copies = await tx<Array<{ id: string; inbox: string; domain: string; capturedBy: number | null }>>`
              SELECT id, inbox, domain, captured_by AS "capturedBy" FROM messages WHERE content_id = ${p.input.contentId} ORDER BY seq`;
            return { received: stored[i]!.received, copies: [...copies] };
          }),
        );
        // An event only for copies that became ready here: a second parse of
        // the same message (a node resuming another's pending mail at start,
        // `reparse`) changes its fields but pushes nothing twice.
        const payloads = batch
          .map((p, i) =>
            results[i].copies.length && readyAt[i] !== null
              ? encodeReadyPayload(
                  { contentId: p.input.contentId, state: p.input.parsed.ok ? 'ok' : 'failed', received: results[i].received, copies: results[i].copies },
                  readyAt[i]!,
                )
              : null,
          )
          .filter((x): x is string => x !== null);
        // Queued by PostgreSQL and delivered to every listening node only if this commits.
        if (payloads.length) await tx`SELECT pg_notify(${READY_CHANNEL}, p) FROM unnest(${payloads}::text[]) AS p`;
        return results;
      });
    } catch (err) {
      if (batch.length > 1 && refusedRows(err)) for (const p of batch) await this.commitParsed([p]);
      else for (const p of batch) p.reject(asWriteError(err));
      return;
    }
    this.stats.readyCommits++;
    batch.forEach((p, i) => p.resolve(results[i]));
  }
}

interface ReceivedRow {
  content: {
    received: number;
    size: number;
    raw: Buffer;
    raw_encoding: 'identity' | 'deflate';
    sha256: string;
    mail_from: string;
    rcpt_to: string;
    ip: string;
    helo: string;
    tls: boolean;
  };
  copies: Array<{ id: string; inbox: string; original_inbox: string; domain: string; received: number; captured_by: number | null }>;
}

/**
 * The rows insertReceived writes in SQLite, for one message: raw deflated
 * when small (body-codec.ts, bounded work), one copy per distinct inbox. The
 * SHA-256 of up to 25 MB runs on libuv's thread pool (WebCrypto digest), not
 * on the event loop that answers SMTP, where SQLite's writer thread ran it.
 */
async function receivedRow(msg: IncomingMessage): Promise<ReceivedRow> {
  const sha256 = Buffer.from(await webcrypto.subtle.digest('SHA-256', msg.raw)).toString('hex');
  // A large message is stored as received and compressed after its 250 (applyParse's rawZ).
  const { data, encoding } = msg.raw.length <= RAW_DEFLATE_INLINE_MAX ? encodeRaw(msg.raw) : { data: msg.raw, encoding: 'identity' as const };
  const seen = new Set<string>();
  const copies: ReceivedRow['copies'] = [];
  for (const r of msg.recipients) {
    // The same inbox twice (case, +tag, Unicode form) gets one entry (bad-input 5).
    if (seen.has(r.inbox)) continue;
    seen.add(r.inbox);
    copies.push({ id: newMessageId(), inbox: r.inbox, original_inbox: r.original, domain: r.domain, received: msg.received, captured_by: msg.capturedBy ?? null });
  }
  return {
    content: {
      received: msg.received,
      size: msg.raw.length,
      raw: data,
      raw_encoding: encoding,
      sha256,
      mail_from: pgText(msg.mailFrom),
      rcpt_to: JSON.stringify(msg.recipients.map((r) => r.original)),
      ip: pgText(msg.ip),
      helo: pgText(msg.helo),
      tls: msg.tls,
    },
    copies,
  };
}

/**
 * The parsed fields, the compressed body and the search vector; null when
 * the message was deleted before its result came (nothing else to write).
 * Search columns as SQLite fills message_fts: subject (A), envelope sender
 * and header addresses (B), text (C), never the envelope recipients.
 */
async function storeParse(tx: TransactionSql, r: ParseResult): Promise<{ received: number } | null> {
  const p = r.parsed;
  const addresses = searchText(headerAddresses([...p.from, ...p.to, ...p.cc]));
  // A large message was stored as received; the parse worker deflated it (as MessageStore.applyParse's rawZ).
  const compressed = r.rawZ
    ? tx`UPDATE contents SET raw = ${r.rawZ}, raw_encoding = 'deflate' WHERE id = ${r.contentId} AND raw_encoding = 'identity'`.execute()
    : null;
  // Awaited below; if the UPDATE fails first, its failure (the same aborted transaction) must not go unhandled.
  compressed?.catch(() => {});
  const rows = await tx<{ received: number }[]>`
    UPDATE contents SET
      parse_state = ${p.ok ? 'ok' : 'failed'}, parse_error = ${pgText(p.error)}, subject = ${pgText(p.subject)},
      from_json = ${JSON.stringify(p.from)}, to_json = ${JSON.stringify(p.to)}, cc_json = ${JSON.stringify(p.cc)}, bcc_json = ${JSON.stringify(p.bcc)},
      date = ${p.date}, message_id = ${pgText(p.messageId)}, body_z = ${r.bodyZ}, links_json = ${JSON.stringify(p.links)},
      search = setweight(to_tsvector('mailroom', ${searchText(p.subject)}), 'A')
        || setweight(to_tsvector('mailroom', regexp_replace(mail_from, '[^[:alnum:]]+', ' ', 'g') || ' ' || ${addresses}), 'B')
        || setweight(to_tsvector('mailroom', ${searchText(p.text)}), 'C')
    WHERE id = ${r.contentId}
    RETURNING received`;
  await compressed;
  return rows.length ? { received: rows[0].received } : null;
}

/** Attachments (bytes once per sha256), webhook deliveries, then `ready`: the rest of MessageStore.applyParse. */
function attachmentsAndReady(tx: TransactionSql, r: ParseResult, now: number): { writes: Promise<unknown>[]; becameReady: Promise<number | null> } {
  const id = r.contentId;
  // postgres.js sends a query when it is first awaited or executed: execute()
  // each now, so they run in this order (pipelined) whoever awaits them.
  const writes: Promise<unknown>[] = [];
  const run = <Q extends { execute(): Q }>(q: Q) => {
    writes.push(q.execute() as unknown as Promise<unknown>);
  };
  run(tx`DELETE FROM attachments WHERE content_id = ${id}`);
  r.parsed.attachments.forEach((a, idx) => {
    run(tx`INSERT INTO blobs (sha256, md5, size, data) VALUES (${a.sha256}, ${a.md5}, ${a.size}, ${a.content}) ON CONFLICT (sha256) DO NOTHING`);
    run(tx`
      INSERT INTO attachments (content_id, idx, sha256, md5, filename, content_type, size, cid, inline)
      VALUES (${id}, ${idx}, ${a.sha256}, ${a.md5}, ${pgText(a.filename)}, ${pgText(a.contentType)}, ${a.size}, ${pgText(a.cid)}, ${a.inline})`);
  });
  // The same rows WebhookStore.enqueueForReady queues, before `ready` flips
  // (it selects copies not ready yet): first each address's own settings.
  run(tx`
    INSERT INTO webhook_deliveries (user_id, address, message_id, kind, url, created, next_at)
    SELECT a.owner_id, a.address, m.id, k.kind, k.url, ${now}, ${now}
    FROM messages m JOIN addresses a ON a.address = m.inbox
    CROSS JOIN LATERAL (VALUES ('webhook', a.webhook), ('slack', a.webhook_slack)) AS k(kind, url)
    WHERE m.content_id = ${id} AND NOT m.ready AND coalesce(k.url, '') <> ''
      AND (m.captured_by IS NULL OR m.captured_by = a.owner_id)
    ORDER BY k.kind = 'slack', m.seq`);
  // Then each verified account domain's own webhook and Slack post, as
  // WebhookStore's enqueueReadyDomain* (SQLite migration 015): once per
  // message, on the catch-all copy if there is one, else the domain's first
  // copy, logged under *@domain; not to a URL the message already goes to.
  for (const [kind, column] of [['webhook', 'webhook'], ['slack', 'webhook_slack']] as const) {
    run(tx`
      INSERT INTO webhook_deliveries (user_id, address, message_id, kind, url, created, next_at)
      SELECT DISTINCT ON (x.url) x.user_id, x.address, x.message_id, ${kind}, x.url, ${now}, ${now} FROM (
        SELECT d.owner_id AS user_id, '*@' || d.domain AS address, d.${tx(column)} AS url, d.domain,
          (SELECT m.id FROM messages m
           WHERE m.content_id = ${id} AND NOT m.ready AND m.domain = d.domain AND (m.captured_by IS NULL OR m.captured_by = d.owner_id)
           ORDER BY m.inbox = '*@' || d.domain DESC, m.seq LIMIT 1) AS message_id
        FROM (SELECT DISTINCT domain FROM messages WHERE content_id = ${id} AND NOT ready) md
        JOIN account_domains d ON d.domain = md.domain
        WHERE d.verified IS NOT NULL AND coalesce(d.${tx(column)}, '') <> ''
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries w
            WHERE w.kind = ${kind} AND w.url = d.${tx(column)} AND w.message_id IN (SELECT id FROM messages WHERE content_id = ${id}))
      ) x
      WHERE x.message_id IS NOT NULL
      ORDER BY x.url, x.domain`);
  }
  run(tx`UPDATE messages SET ready = true WHERE content_id = ${id} AND NOT ready`);
  // The moment it became ready, by the database's clock; null when it already was (a second parse).
  const becameReady = tx<{ ready_at: number }[]>`
    UPDATE contents SET ready_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint
    WHERE id = ${id} AND ready_at IS NULL RETURNING ready_at`
    .execute()
    .then((rows) => (rows.length ? rows[0].ready_at : null));
  return { writes, becameReady };
}

/**
 * PostgreSQL text cannot hold NUL, which a hostile message can put in a
 * subject or a filename (SQLite stores it): replaced by U+FFFD, so the
 * message is stored and made ready instead of failing its commit at every
 * attempt. JSON columns need nothing: JSON.stringify escapes NUL.
 */
function pgText(s: string): string {
  return s.includes('\u0000') ? s.replace(/\u0000/g, '\uFFFD') : s;
}

/**
 * Whether PostgreSQL refused the rows themselves (bad data, a constraint, a
 * value too large: SQLSTATE classes 22, 23 and 54), which one message can
 * cause alone. A lost connection, a full disk or a server shutting down
 * fails every retry as well: retrying 256 messages one by one would only
 * keep their clients waiting, so the whole batch is refused at once.
 */
function refusedRows(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

function asWriteError(err: unknown): StoreWriteError {
  if (err instanceof StoreWriteError) return err;
  const e = err as { code?: string; message?: string };
  return new StoreWriteError(e.code ?? 'EPG', e.message ?? String(err));
}
