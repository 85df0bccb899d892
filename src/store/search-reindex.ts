// Rebuilds the search index from the stored mail (migration 009, issue 13
// item 5). The index once held every envelope recipient of a message in its
// one shared row, so searching a public copy matched the private or Bcc
// co-recipients of the same message. A copy's reader sees only the header
// addresses (From, To, Cc) and their own address, so that is all the index
// holds now; each copy's own address is matched from messages.inbox at query
// time (MessageQueries.search). Bodies are deflated (migration 005), which
// SQL cannot read, hence this runs in JS, in batches, right after migrating.
import type { DB } from './db.js';
import { decodeBody, rawHead, RAW_HEAD_STORED_BYTES } from './body-codec.js';
import { indexedAddresses } from './search-addresses.js';

interface Row {
  id: number;
  subject: string;
  mail_from: string;
  from_json: string;
  to_json: string;
  cc_json: string;
  text: string;
  body_z: Buffer | null;
  raw_head: Buffer;
  raw_encoding: string;
}

const BATCH = 500;

/** Reindexes every parsed message; returns how many. */
export function reindexSearch(db: DB): number {
  const page = db.prepare(
    `SELECT id, subject, mail_from, from_json, to_json, cc_json, text, body_z,
       substr(raw, 1, ${RAW_HEAD_STORED_BYTES}) AS raw_head, raw_encoding FROM contents
     WHERE parse_state <> 'pending' AND id > ? ORDER BY id LIMIT ?`,
  );
  const remove = db.prepare('DELETE FROM message_fts WHERE rowid = ?');
  const insert = db.prepare('INSERT INTO message_fts (rowid, subject, addresses, body) VALUES (?, ?, ?, ?)');
  let after = 0;
  let done = 0;
  for (;;) {
    const rows = page.all(after, BATCH) as Row[];
    if (rows.length === 0) return done;
    db.transaction(() => {
      for (const r of rows) {
        const text = r.body_z ? decodeBody(r.body_z, () => rawHead(r.raw_head, r.raw_encoding)).text : r.text;
        const headers = [...JSON.parse(r.from_json), ...JSON.parse(r.to_json), ...JSON.parse(r.cc_json)] as Array<{ address?: string; name?: string }>;
        remove.run(r.id);
        insert.run(r.id, r.subject, indexedAddresses(r.mail_from, headers), text);
      }
    })();
    done += rows.length;
    after = rows[rows.length - 1]!.id;
  }
}
