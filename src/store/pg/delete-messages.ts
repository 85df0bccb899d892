// Deleting a batch of message copies on PostgreSQL in one transaction, with
// MessageStore.deleteOne's rules (messages.ts) and PgMessageReader.delete's
// care for other nodes (message-reader.ts): the content, its attachment rows
// and the blobs nothing else uses go with the last copy. Used by the eraser
// ("delete all", erasure) and by retention (jobs/retention.ts), whose batches
// must not cost one round trip per message.
import type { Sql, TransactionSql } from './driver.js';

/** SQLSTATE 23503. */
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Deletes these message ids (those still there) and whatever only they held;
 * returns how many copies went. Contents are locked first, in id order: of
 * two nodes deleting the last two copies of one content at once, the second
 * sees the first's delete and removes the content, and two overlapping
 * batches cannot deadlock on each other.
 */
export function deleteMessageBatch(sql: Sql, ids: string[]): Promise<number> {
  if (!ids.length) return Promise.resolve(0);
  return sql.begin(async (tx) => {
    const held = await tx<{ content_id: number }[]>`SELECT DISTINCT content_id FROM messages WHERE id = ANY(${ids}::text[])`;
    if (!held.length) return 0;
    await tx`SELECT id FROM contents WHERE id = ANY(${held.map((r) => r.content_id)}::bigint[]) ORDER BY id FOR UPDATE`;
    const deleted = await tx<{ content_id: number }[]>`DELETE FROM messages WHERE id = ANY(${ids}::text[]) RETURNING content_id`;
    if (!deleted.length) return 0;
    const touched = [...new Set(deleted.map((r) => r.content_id))];
    const orphans = (
      await tx<{ id: number }[]>`SELECT c.id FROM contents c WHERE c.id = ANY(${touched}::bigint[]) AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.content_id = c.id)`
    ).map((r) => r.id);
    if (orphans.length) {
      const blobs = await tx<{ sha256: string }[]>`DELETE FROM attachments WHERE content_id = ANY(${orphans}::bigint[]) RETURNING sha256`;
      await tx`DELETE FROM contents WHERE id = ANY(${orphans}::bigint[])`;
      await deleteUnusedBlobs(tx, [...new Set(blobs.map((b) => b.sha256))]);
    }
    return deleted.length;
  });
}

/**
 * Blobs no attachment row refers to any more. Another node may be storing a
 * message with one of them right now: its attachment row is not visible here
 * yet, so the blob looks unused and the delete fails on the foreign key once
 * that transaction commits. Then the blob is in use after all: they are tried
 * one at a time and that one is kept (PgMessageReader.delete does the same).
 */
async function deleteUnusedBlobs(tx: TransactionSql, shas: string[]): Promise<void> {
  if (!shas.length) return;
  const unused = (sp: TransactionSql, list: string[]) =>
    sp`DELETE FROM blobs b WHERE b.sha256 = ANY(${list}::text[]) AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = b.sha256)`;
  try {
    await tx.savepoint((sp) => unused(sp, shas));
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw err;
  }
  if (shas.length === 1) return;
  for (const sha of shas) {
    try {
      await tx.savepoint((sp) => unused(sp, [sha]));
    } catch (err) {
      if ((err as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw err;
    }
  }
}
