// `mailroom migrate-store`: copies a SQLite store into PostgreSQL (issue 14)
// so an operator can move to several nodes without losing mail.
//
// - Source: a read-only connection to the store's file holding one read
//   transaction for the whole run. In WAL mode that is a snapshot: the
//   appliance may keep receiving meanwhile (its writes are not blocked, only
//   the WAL cannot be checkpointed past the snapshot until we finish), and
//   everything we copy and verify is the store as it was at the start. No
//   temporary copy of the file, so no second store's worth of disk.
// - Target: the PostgreSQL migrations first, then table by table in foreign
//   key order, in batches (500 rows or 16 MB of row data, whichever comes
//   first), each batch one transaction that also records how far it got in
//   migrate_store_progress (the last primary key copied). Interrupted at any
//   point (Ctrl-C, kill -9, a lost connection) and run again, it continues
//   after that key: a batch is there with its high-water mark or not at all.
// - Rows are copied as stored: raw bytes already deflated stay as they are
//   (never recompressed), ids and sequence numbers are kept and the identity
//   sequences moved past them (past SQLite's AUTOINCREMENT counter for
//   users: an id once used is never reused). What PostgreSQL holds
//   differently is built on the way: booleans from 0/1, NUL in text as
//   U+FFFD (as the PG writer stores it), body_z from the legacy plain
//   columns, the search vector (as message-writer.ts fills it) and ready_at.
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Sql } from './driver.js';
import { runPgMigrations } from './migrate.js';
import { searchText } from './search-text.js';
import { headerAddresses } from '../search-addresses.js';
import { decodeBody, encodeBody, rawHead } from '../body-codec.js';

type SqliteDb = Database.Database;
type Row = Record<string, unknown>;
type Key = Array<string | number>;

export interface CopiedTable {
  name: string;
  /** Primary key columns: the copy order and the resume point. */
  key: string[];
}

/**
 * Every data table of the SQLite schema (the schema-parity test's list), in
 * an order where a row's foreign keys point at rows already copied.
 */
export const COPIED_TABLES: CopiedTable[] = [
  { name: 'users', key: ['id'] },
  { name: 'api_keys', key: ['id'] },
  { name: 'sessions', key: ['hash'] },
  { name: 'addresses', key: ['address'] },
  { name: 'account_domains', key: ['domain'] },
  { name: 'contents', key: ['id'] },
  { name: 'blobs', key: ['sha256'] },
  { name: 'attachments', key: ['content_id', 'idx'] },
  { name: 'messages', key: ['seq'] },
  { name: 'audit_log', key: ['id'] },
  { name: 'webhook_secrets', key: ['user_id'] },
  { name: 'webhook_deliveries', key: ['id'] },
  { name: 'webhook_activity', key: ['id'] },
  { name: 'billing_customers', key: ['user_id'] },
  { name: 'billing_subscriptions', key: ['subscription_id'] },
  { name: 'billing_events', key: ['event_id'] },
  { name: 'billing_releases', key: ['id'] },
  { name: 'capture_usage', key: ['user_id', 'month'] },
];

export const PROGRESS_TABLE = 'migrate_store_progress';

export class TargetRefused extends Error {}

export interface SqliteSnapshot {
  db: SqliteDb;
  file: string;
  /** Identifies the store across runs (see sourceIdentity). */
  source: string;
  close(): void;
}

/** Opens the store read-only and pins one WAL snapshot until close(). */
export function openSqliteSnapshot(file: string): SqliteSnapshot {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.defaultSafeIntegers(false);
  // A read transaction starts at its first read: everything after this sees the same store.
  db.exec('BEGIN');
  db.prepare('SELECT count(*) FROM sqlite_master').pluck().get();
  return {
    db,
    file,
    source: sourceIdentity(db, file),
    close: () => {
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
    },
  };
}

/**
 * The first account (id, name, creation time) names the store: it survives
 * moving the data directory and retention (mail is pruned, the admin
 * account is not); a store without accounts is named by its file's path.
 */
function sourceIdentity(db: SqliteDb, file: string): string {
  const first = db.prepare('SELECT id, username, created FROM users ORDER BY id LIMIT 1').get() as Row | undefined;
  const basis = first ? `users:${first.id}:${first.username}:${first.created}` : `file:${realpathSync(file)}`;
  return createHash('sha256').update(basis).digest('hex').slice(0, 16);
}

export interface TableProgress {
  table: string;
  done: number;
  total: number;
  /** Rows copied by this run so far (the rest were there from an earlier run). */
  copiedNow: number;
  finished: boolean;
}

export interface CopyOptions {
  batchRows?: number;
  batchBytes?: number;
  onProgress?: (p: TableProgress) => void;
}

export interface CopyResult {
  /** Rows copied by this run, all tables together: 0 when an earlier run had copied everything. */
  copied: number;
  tables: Array<{ table: string; rows: number; copiedNow: number }>;
  /** True when this run started on a target that already held part of this store. */
  resumed: boolean;
}

interface ColumnInfo {
  name: string;
  pgType: string;
}

/** Columns both engines have, with PostgreSQL's type (which says how to convert). */
async function sharedColumns(src: SqliteDb, sql: Sql, table: string): Promise<ColumnInfo[]> {
  const sqliteCols = new Set((src.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name));
  const pg = await sql<{ column_name: string; data_type: string }[]>`
    SELECT column_name, data_type FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ${table} ORDER BY ordinal_position`;
  return pg.filter((c) => sqliteCols.has(c.column_name)).map((c) => ({ name: c.column_name, pgType: c.data_type }));
}

/** PostgreSQL text cannot hold NUL: U+FFFD, as message-writer.ts pgText does. */
function pgText(s: string): string {
  return s.includes('\u0000') ? s.replace(/\u0000/g, '\uFFFD') : s;
}

function convert(v: unknown, pgType: string): unknown {
  if (v === null || v === undefined) return null;
  switch (pgType) {
    case 'boolean':
      return v !== 0 && v !== '0';
    case 'bytea':
      return Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
    case 'text':
      return typeof v === 'string' ? pgText(v) : Buffer.isBuffer(v) ? pgText(v.toString('utf8')) : String(v);
    default:
      return v;
  }
}

function parseJsonArray(s: unknown): Array<{ address?: string; name?: string }> {
  try {
    const v = JSON.parse(String(s ?? '[]'));
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/**
 * What contents needs beyond its shared columns: body_z for rows parsed
 * before SQLite's migration 005 (PostgreSQL has no plain body columns), and
 * the search words and ready_at of a processed message.
 */
function contentsExtras(src: Row, out: Row): { subject: string; addresses: string; body: string } | null {
  const parsed = src.parse_state !== 'pending';
  let text = '';
  if (src.body_z) {
    try {
      // A document deflated against its raw message (body-codec.ts) needs the raw's start as dictionary.
      if (parsed) text = decodeBody(src.body_z as Buffer, () => rawHead(src.raw as Buffer, String(src.raw_encoding))).text;
    } catch {
      // A body that does not inflate is copied as it is; the search then has
      // its subject and addresses only (the raw message is the source of truth).
    }
  } else if (parsed) {
    let headers: Array<[string, string]> = [];
    try {
      headers = JSON.parse(String(src.headers_json ?? '[]'));
    } catch {
      /* a broken legacy header list: the raw message still has them */
    }
    out.body_z = encodeBody({ text: String(src.text ?? ''), html: String(src.html ?? ''), headers });
    text = String(src.text ?? '');
  }
  // When it became ready is not recorded in SQLite; its receive time is
  // older than any catch-up window, so no node republishes migrated mail.
  out.ready_at = parsed ? src.received : null;
  if (!parsed) return null;
  const headerAddrs = headerAddresses([...parseJsonArray(src.from_json), ...parseJsonArray(src.to_json), ...parseJsonArray(src.cc_json)]);
  return { subject: searchText(String(src.subject ?? '')), addresses: searchText(headerAddrs), body: searchText(text) };
}

/** A SQLite row as PostgreSQL stores it, and for contents the words of its search vector. */
function toPgRow(table: string, r: Row, cols: ColumnInfo[]): { out: Row; search: ReturnType<typeof contentsExtras> } {
  const out: Row = {};
  for (const c of cols) out[c.name] = convert(r[c.name], c.pgType);
  return { out, search: table === 'contents' ? contentsExtras(r, out) : null };
}

async function ensureProgressTable(sql: Sql): Promise<void> {
  await sql.unsafe(`CREATE TABLE IF NOT EXISTS ${PROGRESS_TABLE} (
    table_name  text    PRIMARY KEY,
    source      text    NOT NULL,   -- which SQLite store (openSqliteSnapshot's identity)
    source_file text    NOT NULL,
    last_key    text,               -- JSON array: the primary key of the last row copied; NULL before the first
    copied      bigint  NOT NULL DEFAULT 0,
    updated     bigint  NOT NULL
  )`);
}

/**
 * A target is this store's copy (resume), empty (start), or refused: rows
 * from somewhere else (a node that received mail, another store's copy)
 * would mix with ours, and a checksum could not tell them apart.
 */
async function claimTarget(sql: Sql, snap: SqliteSnapshot): Promise<boolean> {
  return sql.begin(async (tx) => {
    await tx`LOCK TABLE ${tx(PROGRESS_TABLE)} IN EXCLUSIVE MODE`;
    const sources = await tx<{ source: string; source_file: string }[]>`SELECT DISTINCT source, source_file FROM ${tx(PROGRESS_TABLE)}`;
    const other = sources.find((s) => s.source !== snap.source);
    if (other) {
      throw new TargetRefused(
        `the target already holds a copy of another store (${other.source_file}, store ${other.source}; this one is ${snap.source}): use an empty database`,
      );
    }
    if (sources.length) return true;
    const busy: string[] = [];
    for (const t of COPIED_TABLES) {
      const [{ any }] = await tx<{ any: boolean }[]>`SELECT EXISTS (SELECT 1 FROM ${tx(t.name)}) AS any`;
      if (any) busy.push(t.name);
    }
    if (busy.length) {
      throw new TargetRefused(`the target already holds data that migrate-store did not copy from this store (in ${busy.join(', ')}): use an empty database`);
    }
    const now = Date.now();
    for (const t of COPIED_TABLES) {
      await tx`INSERT INTO ${tx(PROGRESS_TABLE)} (table_name, source, source_file, updated) VALUES (${t.name}, ${snap.source}, ${snap.file}, ${now})`;
    }
    return false;
  });
}

function keyWhere(key: string[]): string {
  return key.length === 1 ? `"${key[0]}" > ?` : `(${key.map((k) => `"${k}"`).join(', ')}) > (${key.map(() => '?').join(', ')})`;
}

/**
 * Copies every table of the snapshot into the target (migrated first), from
 * where an earlier run stopped. Throws TargetRefused for a target holding
 * other data.
 */
export async function copyFromSqlite(snap: SqliteSnapshot, sql: Sql, opts: CopyOptions = {}): Promise<CopyResult> {
  const batchRows = opts.batchRows ?? 500;
  const batchBytes = opts.batchBytes ?? 16 * 1024 * 1024;
  await runPgMigrations(sql);
  await ensureProgressTable(sql);
  const resumed = await claimTarget(sql, snap);
  const src = snap.db;
  const result: CopyResult = { copied: 0, tables: [], resumed };
  for (const t of COPIED_TABLES) {
    const cols = await sharedColumns(src, sql, t.name);
    const total = src.prepare(`SELECT count(*) FROM "${t.name}"`).pluck().get() as number;
    const [state] = await sql<{ last_key: string | null; copied: number }[]>`
      SELECT last_key, copied FROM ${sql(PROGRESS_TABLE)} WHERE table_name = ${t.name}`;
    let lastKey: Key | null = state?.last_key ? (JSON.parse(state.last_key) as Key) : null;
    let done = state?.copied ?? 0;
    let copiedNow = 0;
    const selectCols = t.name === 'contents' ? '*' : cols.map((c) => `"${c.name}"`).join(', ');
    const order = t.key.map((k) => `"${k}"`).join(', ');
    const first = src.prepare(`SELECT ${selectCols} FROM "${t.name}" ORDER BY ${order}`);
    const after = src.prepare(`SELECT ${selectCols} FROM "${t.name}" WHERE ${keyWhere(t.key)} ORDER BY ${order}`);
    const insertCols: ColumnInfo[] = [...cols, ...(t.name === 'contents' ? [{ name: 'ready_at', pgType: 'bigint' }] : [])];
    opts.onProgress?.({ table: t.name, done, total, copiedNow, finished: false });
    for (;;) {
      const batchStart = lastKey;
      const rows: Row[] = [];
      const search: Array<SearchRow | null> = [];
      let bytes = 0;
      for (const r of (lastKey ? after.iterate(...lastKey) : first.iterate()) as IterableIterator<Row>) {
        const { out, search: s } = toPgRow(t.name, r, cols);
        search.push(s ? [s.subject, s.addresses, s.body] : null);
        rows.push(out);
        for (const v of Object.values(out)) bytes += Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? v.length : 8;
        lastKey = t.key.map((k) => r[k] as string | number);
        if (rows.length >= batchRows || bytes >= batchBytes) break;
      }
      if (!rows.length) break;
      await writeBatch(sql, t.name, rows, insertCols, search, { from: batchStart, to: lastKey!, copiedBefore: done });
      done += rows.length;
      copiedNow += rows.length;
      opts.onProgress?.({ table: t.name, done, total, copiedNow, finished: false });
    }
    await advanceIdentity(src, sql, t.name);
    opts.onProgress?.({ table: t.name, done, total, copiedNow, finished: true });
    result.copied += copiedNow;
    result.tables.push({ table: t.name, rows: done, copiedNow });
  }
  return result;
}

/** The words of a processed message's search vector: subject, addresses, text. */
type SearchRow = [subject: string, addresses: string, body: string];

/**
 * One batch in one transaction: the rows, their search vectors (contents)
 * and the progress mark, so a run killed at any point leaves the batch
 * whole with its mark, or neither.
 */
async function writeBatch(
  sql: Sql,
  table: string,
  rows: Row[],
  cols: ColumnInfo[],
  search: Array<SearchRow | null>,
  at: { from: Key | null; to: Key; copiedBefore: number },
): Promise<void> {
  try {
    await sql.begin(async (tx) => {
      const names = cols.map((c) => c.name);
      if (table !== 'contents') {
        await tx`INSERT INTO ${tx(table)} ${tx(rows as Array<Record<string, string | number | boolean | Buffer | null>>, names)}`;
      } else {
        // The search vector built in the same INSERT, as message-writer.ts
        // storeParse fills it: subject (A), envelope sender and header
        // addresses (B), text (C); NULL for a message not processed yet.
        // (A separate UPDATE would write every row, and its index entries, twice.)
        // VALUES leaves numbers untyped, hence the cast to each column's type.
        const values = rows.map((r, i) => [...names.map((n) => r[n] as string | number | boolean | Buffer | null), ...(search[i] ?? [null, null, null])]);
        const aliases: string[] = [...names, 's_subject', 's_addresses', 's_body'];
        const typed = cols.map((c) => `v."${c.name}"::${c.pgType}`).join(', ');
        await tx`
          INSERT INTO contents (${tx(names)}, search)
          SELECT ${tx.unsafe(typed)},
            setweight(to_tsvector('mailroom', v.s_subject), 'A')
              || setweight(to_tsvector('mailroom', regexp_replace(v.mail_from, '[^[:alnum:]]+', ' ', 'g') || ' ' || v.s_addresses), 'B')
              || setweight(to_tsvector('mailroom', v.s_body), 'C')
          FROM (VALUES ${tx(values as unknown as string[][])}) AS v(${tx(aliases)})`;
      }
      // `copied = copiedBefore`: a second run copying into the same database at the same time finds the mark moved and stops.
      const marked = await tx`
        UPDATE ${tx(PROGRESS_TABLE)} SET last_key = ${JSON.stringify(at.to)}, copied = copied + ${rows.length}, updated = ${Date.now()}
        WHERE table_name = ${table} AND copied = ${at.copiedBefore}`;
      if (!marked.count) throw new Error('another migrate-store run is copying into this database at the same time');
    });
  } catch (err) {
    // Which table and where, and PostgreSQL's detail (the row a constraint refused), for the operator.
    const e = err as Error & { detail?: string };
    throw new Error(`copying ${table} after key ${JSON.stringify(at.from)}: ${e.message}${e.detail ? ` (${e.detail})` : ''}`);
  }
}

/**
 * Identity columns hand out numbers past every copied id, and for users past
 * every id SQLite ever gave (AUTOINCREMENT, migration 010: never reused).
 */
async function advanceIdentity(src: SqliteDb, sql: Sql, table: string): Promise<void> {
  const identity = await sql<{ column_name: string }[]>`
    SELECT column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ${table} AND is_identity = 'YES'`;
  for (const { column_name: col } of identity) {
    const hasSeq = src.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'`).get();
    const used = hasSeq ? ((src.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(table) as number | undefined) ?? 0) : 0;
    const [{ max }] = await sql<{ max: number | null }[]>`SELECT max(${sql(col)}) AS max FROM ${sql(table)}`;
    const last = Math.max(used, max ?? 0);
    // setval(seq, n, true): the next id is n + 1; (1, false): an empty table starts at 1.
    await sql`SELECT setval(pg_get_serial_sequence(${table}, ${col}), ${Math.max(last, 1)}, ${last > 0})`;
  }
}

export interface TableCheck {
  table: string;
  sqliteRows: number;
  pgRows: number;
  sqliteSum: string;
  pgSum: string;
  ok: boolean;
}

/**
 * Per table: row counts, and a SHA-256 over every row in primary key order:
 * each column both engines have, the SQLite side converted as the copy
 * converts it (so a message marked read or a key revoked after it was copied
 * is a difference), byte columns by their own SHA-256 (computed by
 * PostgreSQL on its side, so raw messages are not read back). Text keys are
 * ordered bytewise on both sides (SQLite's BINARY, COLLATE "C"). The search
 * vector and ready_at are PostgreSQL's own and not compared.
 */
export async function verifyCopy(snap: SqliteSnapshot, sql: Sql): Promise<TableCheck[]> {
  const checks: TableCheck[] = [];
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  for (const t of COPIED_TABLES) {
    const cols = await sharedColumns(snap.db, sql, t.name);
    const sqliteHash = createHash('sha256');
    let sqliteRows = 0;
    const order = t.key.map((k) => `"${k}"`).join(', ');
    const selectCols = t.name === 'contents' ? '*' : cols.map((c) => `"${c.name}"`).join(', ');
    for (const r of snap.db.prepare(`SELECT ${selectCols} FROM "${t.name}" ORDER BY ${order}`).iterate() as IterableIterator<Row>) {
      const { out } = toPgRow(t.name, r, cols);
      const line = cols.map((c) => (Buffer.isBuffer(out[c.name]) ? sha(out[c.name] as Buffer) : out[c.name]));
      sqliteHash.update(JSON.stringify(line) + '\n');
      sqliteRows++;
    }
    const pgHash = createHash('sha256');
    let pgRows = 0;
    const type = new Map(cols.map((c) => [c.name, c.pgType]));
    const pgOrder = t.key.map((k) => (type.get(k) === 'text' ? `"${k}" COLLATE "C"` : `"${k}"`)).join(', ');
    const pgSelect = cols.map((c) => (c.pgType === 'bytea' ? `encode(sha256("${c.name}"), 'hex')` : `"${c.name}"`)).join(', ');
    const cursor = sql.unsafe(`SELECT ${pgSelect} FROM "${t.name}" ORDER BY ${pgOrder}`).values().cursor(2000);
    for await (const batch of cursor) {
      for (const r of batch as unknown[][]) {
        pgHash.update(JSON.stringify(r) + '\n');
        pgRows++;
      }
    }
    const sqliteSum = sqliteHash.digest('hex');
    const pgSum = pgHash.digest('hex');
    checks.push({ table: t.name, sqliteRows, pgRows, sqliteSum, pgSum, ok: sqliteRows === pgRows && sqliteSum === pgSum });
  }
  return checks;
}
