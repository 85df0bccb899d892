// Fills a PostgreSQL bench database with the read bench's mail (issue 14):
// the same Seeder (seed.ts: Zipf inboxes and senders, size mix, 2% with an
// attachment, 5% to two addresses), its rows collected in memory for one
// batch and written with a few multi-row INSERTs, in the shape the
// PostgreSQL writer leaves a processed message: contents with the parsed
// fields, the deflated body and the search vector, messages ready,
// attachments and their blobs. The GIN index of the search vector is
// dropped while seeding and built once at the end (far faster than
// maintaining it row by row); every other index is kept as it is.
import { createHash } from 'node:crypto';
import type { Store } from '../../src/store/index.js';
import type { IncomingMessage, StoredIds } from '../../src/store/messages.js';
import type { ParsedMessage } from '../../src/mail/types.js';
import type { Sql } from '../../src/store/pg/driver.js';
import { encodeBody, encodeRaw } from '../../src/store/body-codec.js';
import { newMessageId } from '../../src/store/ids.js';
import { headerAddresses } from '../../src/store/search-addresses.js';
import { searchText } from '../../src/store/pg/search-text.js';
import { Seeder } from './seed.js';

interface Row {
  contentId: number;
  msg: IncomingMessage;
  parsed?: ParsedMessage;
}

/** The part of Store the Seeder calls, collecting rows instead of writing them. */
class Collector {
  rows: Row[] = [];
  private nextId = 1;
  readonly messages = {
    insertReceived: (msg: IncomingMessage): StoredIds => {
      const contentId = this.nextId++;
      this.rows.push({ contentId, msg });
      return { contentId } as unknown as StoredIds;
    },
    // The Seeder applies each result right after inserting its message.
    applyParse: (contentId: number, parsed: ParsedMessage) => {
      const last = this.rows[this.rows.length - 1];
      if (last?.contentId !== contentId) throw new Error(`parse result for ${contentId} out of order`);
      last.parsed = parsed;
    },
  };
  transaction<T>(fn: () => T): T {
    return fn();
  }
}

export interface PgSeedResult {
  ms: number;
  rawBytes: number;
  seeder: Seeder;
}

export async function seedPostgres(sql: Sql, count: number, log: (s: string) => void, batch = 2000): Promise<PgSeedResult> {
  const t0 = performance.now();
  const collector = new Collector();
  const seeder = new Seeder(collector as unknown as Store, { batch });
  await sql`DROP INDEX IF EXISTS contents_search`;
  let rawBytes = 0;
  let lastLog = performance.now();
  while (seeder.count < count) {
    const k = Math.min(batch, count - seeder.count);
    collector.rows = [];
    seeder.add(k);
    const contents: Record<string, unknown>[] = [];
    const messages: Record<string, unknown>[] = [];
    const blobs: Record<string, unknown>[] = [];
    const attachments: Record<string, unknown>[] = [];
    for (const r of collector.rows) {
      const p = r.parsed!;
      const m = r.msg;
      rawBytes += m.raw.length;
      const { data, encoding } = encodeRaw(m.raw);
      const received = m.received ?? Date.now();
      contents.push({
        received,
        size: m.raw.length,
        raw: data,
        raw_encoding: encoding,
        sha256: createHash('sha256').update(m.raw).digest('hex'),
        mail_from: m.mailFrom,
        rcpt_to: JSON.stringify(m.recipients.map((x) => x.original)),
        ip: m.ip,
        helo: m.helo,
        tls: m.tls,
        parse_state: 'ok',
        subject: p.subject,
        from_json: JSON.stringify(p.from),
        to_json: JSON.stringify(p.to),
        cc_json: JSON.stringify(p.cc),
        bcc_json: JSON.stringify(p.bcc),
        date: p.date,
        message_id: p.messageId,
        links_json: JSON.stringify(p.links),
        body_z: encodeBody(p),
        ready_at: received,
        // The three weighted parts as message-writer.ts builds them, turned into a tsvector below.
        s_a: searchText(p.subject),
        s_b: `${m.mailFrom.replace(/[^\p{L}\p{N}]+/gu, ' ')} ${searchText(headerAddresses([...p.from, ...p.to, ...p.cc]))}`,
        s_c: searchText(p.text),
        seed_key: r.contentId,
      });
      for (const rc of m.recipients) {
        const id = newMessageId();
        messages.push({ seed_key: r.contentId, id, inbox: rc.inbox, original_inbox: rc.original, domain: rc.domain, received });
      }
      p.attachments.forEach((a, idx) => {
        blobs.push({ sha256: a.sha256, md5: a.md5, size: a.size, data: a.content });
        attachments.push({ seed_key: r.contentId, idx, sha256: a.sha256, md5: a.md5, filename: a.filename, content_type: a.contentType, size: a.size, cid: a.cid, inline: a.inline });
      });
    }
    await sql.begin(async (tx) => {
      // Content ids are the Seeder's own (1, 2, …): the database is fresh and
      // this is its only writer; the identity sequence is moved past them at the end.
      for (let i = 0; i < contents.length; i += 500) {
        const chunk = contents.slice(i, i + 500);
        await tx`
          INSERT INTO contents (id, received, size, raw, raw_encoding, sha256, mail_from, rcpt_to, ip, helo, tls, parse_state, subject,
            from_json, to_json, cc_json, bcc_json, date, message_id, links_json, body_z, ready_at, search)
          SELECT v.id::bigint, v.received::bigint, v.size::bigint, v.raw::bytea, v.raw_encoding, v.sha256, v.mail_from, v.rcpt_to, v.ip, v.helo, v.tls::boolean,
            v.parse_state, v.subject, v.from_json, v.to_json, v.cc_json, v.bcc_json, v.date::bigint, v.message_id, v.links_json, v.body_z::bytea,
            v.ready_at::bigint,
            setweight(to_tsvector('mailroom', v.s_a), 'A') || setweight(to_tsvector('mailroom', v.s_b), 'B') || setweight(to_tsvector('mailroom', v.s_c), 'C')
          FROM (VALUES ${tx(chunk.map((c) => [c.seed_key, c.received, c.size, c.raw, c.raw_encoding, c.sha256, c.mail_from, c.rcpt_to, c.ip, c.helo, c.tls, c.parse_state, c.subject, c.from_json, c.to_json, c.cc_json, c.bcc_json, c.date, c.message_id, c.links_json, c.body_z, c.ready_at, c.s_a, c.s_b, c.s_c]) as never)})
            AS v(id, received, size, raw, raw_encoding, sha256, mail_from, rcpt_to, ip, helo, tls, parse_state, subject, from_json, to_json, cc_json, bcc_json, date, message_id, links_json, body_z, ready_at, s_a, s_b, s_c)`;
      }
      for (let i = 0; i < messages.length; i += 2000) {
        const chunk = messages.slice(i, i + 2000).map((m) => ({ id: m.id, content_id: m.seed_key, inbox: m.inbox, original_inbox: m.original_inbox, domain: m.domain, received: m.received, ready: true }));
        await tx`INSERT INTO messages ${tx(chunk as never)}`;
      }
      if (blobs.length) await tx`INSERT INTO blobs ${tx(blobs as never)} ON CONFLICT (sha256) DO NOTHING`;
      if (attachments.length) {
        const rows = attachments.map(({ seed_key, ...a }) => ({ ...a, content_id: seed_key }));
        await tx`INSERT INTO attachments ${tx(rows as never)}`;
      }
    });
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      log(`  … ${seeder.count.toLocaleString('en-US')} added`);
    }
  }
  await sql`SELECT setval(pg_get_serial_sequence('contents', 'id'), (SELECT max(id) FROM contents))`;
  const tIndex = performance.now();
  await sql.begin(async (tx) => {
    await tx`SET LOCAL maintenance_work_mem = '256MB'`;
    await tx`CREATE INDEX contents_search ON contents USING gin (search)`;
  });
  log(`  search index built in ${((performance.now() - tIndex) / 1000).toFixed(1)} s`);
  await sql`VACUUM ANALYZE`;
  return { ms: performance.now() - t0, rawBytes, seeder };
}
