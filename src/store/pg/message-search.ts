// Full-text search on the PostgreSQL engine: the tsvector column of contents
// (filled by message-writer.ts when a message becomes ready) under a GIN
// index, queried with the SQLite engine's semantics (search-text.ts).
import type { PendingQuery, Row } from 'postgres';
import type { Sql } from './driver.js';
import { searchTerms } from './search-text.js';

export interface PgSearchOptions {
  /** Only this inbox (canonical address); absent: every inbox. */
  inbox?: string;
  limit?: number;
}

/**
 * What a person typed as a tsquery expression (null when nothing searchable
 * remains): every term must match; each term a phrase of its parts, a
 * prefix term's last part matching as a prefix (`:*`). For `search @@ (…)`.
 */
export function searchQuery(sql: Sql, input: string): PendingQuery<Row[]> | null {
  const terms = searchTerms(input);
  if (!terms) return null;
  const queries = terms.map((t) =>
    t.prefix ? sql`(phraseto_tsquery('mailroom', ${t.phrase})::text || ':*')::tsquery` : sql`phraseto_tsquery('mailroom', ${t.phrase})`,
  );
  return queries.slice(1).reduce((all, q) => sql`${all} && ${q}`, queries[0]);
}

/**
 * Public ids of ready messages matching what a person typed, newest first.
 * Captured-mail visibility and account scopes are the read side's to add
 * when it moves here (message-queries.ts holds them for SQLite).
 */
export async function searchMessageIds(sql: Sql, input: string, opts: PgSearchOptions = {}): Promise<string[]> {
  const query = searchQuery(sql, input);
  if (!query) return [];
  const limit = Math.max(1, Math.min(opts.limit ?? 100, 1000));
  const rows = await sql<{ id: string }[]>`
    SELECT m.id FROM contents c JOIN messages m ON m.content_id = c.id
    WHERE c.search @@ (${query}) AND m.ready ${opts.inbox === undefined ? sql`` : sql`AND m.inbox = ${opts.inbox}`}
    ORDER BY m.received DESC, m.seq DESC LIMIT ${limit}`;
  return rows.map((r) => r.id);
}
