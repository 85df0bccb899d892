// npm run bench:stages / node --import tsx scripts/bench/stages.ts [N]
// Where one message's processing time goes, stage by stage (issue 16), for
// the bench's 5 KB and 200 KB messages: each stage timed in a loop on this
// thread (median and p90 of N runs per message, µs), plus the whole trip
// through the walled parse pool (message passing included) and the SQLite
// commit of the results in the writer's batches. One process, no load
// client: this is CPU per message, not throughput under contention.
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { benchMessages, type BenchSize } from './messages.js';
import { percentileSorted as percentile } from './stats.js';
import { parseMessage } from '../../src/mail/parse.js';
import { simpleParser } from 'mailparser';
import { htmlToText } from '../../src/mail/html-text.js';
import { sanitizeHtml } from '../../src/mail/sanitize.js';
import { encodeBody } from '../../src/store/body-codec.js';
import { openStore } from '../../src/store/index.js';
import { createParsePool, parseInWalls } from '../../src/jobs/parse-pool.js';
import type { ParsedMessage } from '../../src/mail/types.js';

const N = Number(process.argv[2] ?? 200);

function time(fn: () => unknown, n = N): { p50: number; p90: number } {
  for (let i = 0; i < Math.min(20, n); i++) fn(); // warm-up: JIT
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  us.sort((a, b) => a - b);
  return { p50: percentile(us, 50), p90: percentile(us, 90) };
}

async function timeAsync(fn: () => Promise<unknown>, n = N): Promise<{ p50: number; p90: number }> {
  for (let i = 0; i < Math.min(20, n); i++) await fn();
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  us.sort((a, b) => a - b);
  return { p50: percentile(us, 50), p90: percentile(us, 90) };
}

const rows: string[][] = [];
const row = (size: string, stage: string, t: { p50: number; p90: number }, note = '') => {
  rows.push([size, stage, t.p50.toFixed(0), t.p90.toFixed(0), note]);
  process.stderr.write(`${size} ${stage}: p50 ${t.p50.toFixed(0)} µs, p90 ${t.p90.toFixed(0)} µs ${note}\n`);
};

async function main(): Promise<void> {
  for (const size of ['5KB', '200KB'] as BenchSize[]) {
    const raws = benchMessages(size, 8);
    const raw = raws[0]!;
    const parsed: ParsedMessage = await parseMessage(raw);
    const label = `${size} (${(raw.length / 1024).toFixed(0)} KB raw, ${(parsed.html.length / 1024).toFixed(0)} KB HTML)`;
    // Ingest, before the 250 (writer thread): raw compression and hash.
    row(label, 'insertReceived: deflate raw (level 1) + sha256', time(() => {
      deflateRawSync(raw, { level: 1 });
      createHash('sha256').update(raw).digest('hex');
    }));
    // Processing, after the 250 (parse worker).
    row(label, 'mailparser (parseMessage, whole)', await timeAsync(() => parseMessage(raw)));
    // The MIME parse alone, with parse.ts's options: the rest of parseMessage
    // is Mailroom's own (header split and decode, addresses, date, links,
    // attachment hashes).
    const mailparserOnly = await timeAsync(() =>
      (simpleParser as (source: Buffer, options: object) => Promise<unknown>)(raw, {
        skipHtmlToText: true,
        skipTextToHtml: true,
        skipTextLinks: true,
        skipImageLinks: true,
        ignoreEmbedded: true,
        checksumAlgo: false,
      }),
    );
    row(label, '  of which MIME parse alone (simpleParser, same options)', mailparserOnly);
    row(label, '  of which attachment md5 + sha256', time(() => {
      for (const a of parsed.attachments) {
        createHash('md5').update(a.content).digest('hex');
        createHash('sha256').update(a.content).digest('hex');
      }
    }));
    row(label, 'html-to-text (only for HTML-only mail)', time(() => htmlToText(parsed.html)));
    row(label, 'encodeBody: JSON + deflate level 6', time(() => encodeBody(parsed)));
    row(label, 'encodeBody at level 1 (for comparison)', time(() => deflateRawSync(JSON.stringify({ text: parsed.text, html: parsed.html, headers: parsed.headers }), { level: 1 })));
    row(label, 'structured clone of the answer (message passing)', time(() => structuredClone({ parsed, bodyZ: encodeBody(parsed) })));
    // First view only (render worker), not at ingest: the sanitizer on jsdom.
    row(label, 'sanitizeHtml (first view, not ingest)', time(() => sanitizeHtml(parsed.html, { cidUrl: () => null, allowRemote: false }), Math.min(N, 50)));

    // The whole trip through one walled worker, one message at a time.
    const pool = createParsePool(undefined, 1);
    row(label, 'parse pool round trip (1 worker, one at a time)', await timeAsync(() => parseInWalls(pool, raw)));
    // Throughput with 1 and 2 workers, many messages in flight.
    for (const workers of [1, 2]) {
      const p = workers === 1 ? pool : createParsePool(undefined, 2);
      const count = size === '5KB' ? 600 : 150;
      await Promise.all(raws.map((r) => parseInWalls(p, r)));
      const t0 = performance.now();
      await Promise.all(Array.from({ length: count }, (_, i) => parseInWalls(p, raws[i % raws.length]!)));
      const ms = performance.now() - t0;
      const perMsg = (ms * 1000) / count;
      row(label, `parse pool, ${workers} worker(s), ${count} in flight: per message`, { p50: perMsg, p90: perMsg }, `${((count * 1000) / ms).toFixed(0)} msg/s`);
      await p.close();
    }

    // The commit of the results: insertReceived + applyParse (incl. the search
    // index insert and attachments) in batches of 64, as the writer does.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailroom-stages-'));
    try {
      const store = openStore(dir);
      const bodyZ = encodeBody(parsed);
      const ids: number[] = [];
      // The durable commit before the 250: batches of 64 through the group committer, as at 16-64 senders.
      const insertBatches: number[] = [];
      for (let b = 0; b < 10; b++) {
        const t1 = performance.now();
        const got = await Promise.all(
          Array.from({ length: 64 }, (_, i) =>
            store.committer.submit(() => store.messages.insertReceived({ raw, mailFrom: 'a@example.org', recipients: [{ inbox: `u${i % 50}@mailroom.test`, original: 'x@mailroom.test', domain: 'mailroom.test' }], ip: '', helo: '', tls: false, received: Date.now() })),
          ),
        );
        insertBatches.push(((performance.now() - t1) * 1000) / 64);
        ids.push(...got.map((g) => g.contentId));
      }
      insertBatches.sort((a, b) => a - b);
      row(label, 'insertReceived + durable group commit, batches of 64: per message', { p50: percentile(insertBatches, 50), p90: percentile(insertBatches, 90) }, 'before the 250');
      let k = 0;
      const batches: number[] = [];
      for (let b = 0; b < 10; b++) {
        const slice = ids.slice(k, k + 64);
        k += 64;
        const t1 = performance.now();
        await Promise.all(slice.map((id) => store.committer.submitDeferred(() => store.messages.applyParse(id, parsed, bodyZ))));
        batches.push(((performance.now() - t1) * 1000) / slice.length);
      }
      batches.sort((a, b) => a - b);
      row(label, 'applyParse + search insert + commit, batches of 64: per message', { p50: percentile(batches, 50), p90: percentile(batches, 90) }, 'after the parse (deferred, no fsync of its own)');
      // Each statement of applyParse on its own (re-parse of the messages
      // above, inside one transaction of 64 as the writer does), so the
      // commit's cost can be laid out statement by statement.
      const db = (store.messages as unknown as { db: import('better-sqlite3').Database }).db;
      const st = (store.messages as unknown as { stmts: Record<string, import('better-sqlite3').Statement> }).stmts;
      const perStatement: Record<string, number[]> = {};
      const each = (name: string, fn: (id: number) => unknown) => {
        const us: number[] = [];
        for (let b = 0; b < 10; b++) {
          const slice = ids.slice(b * 64, b * 64 + 64);
          db.transaction(() => {
            const t1 = performance.now();
            for (const id of slice) fn(id);
            us.push(((performance.now() - t1) * 1000) / slice.length);
          })();
        }
        us.sort((a, b) => a - b);
        (perStatement[name] = us);
        row(label, `  commit statement: ${name}`, { p50: percentile(us, 50), p90: percentile(us, 90) });
      };
      const addrs = [...parsed.from, ...parsed.to, ...parsed.cc].map((a) => `${a.address} ${a.name}`).join(' ');
      each('UPDATE contents (parsed fields, body_z)', (id) =>
        st.applyParse!.run('ok', '', parsed.subject, JSON.stringify(parsed.from), JSON.stringify(parsed.to), JSON.stringify(parsed.cc), JSON.stringify(parsed.bcc), parsed.date, parsed.messageId, bodyZ, JSON.stringify(parsed.links), id),
      );
      each('search index: DELETE (re-parse)', (id) => st.ftsDelete!.run(id));
      each('search index: INSERT', (id) => st.ftsInsert!.run(parsed.subject, addrs, parsed.text, id));
      each('attachments: DELETE + INSERT blob and row', (id) => {
        st.deleteAttachments!.run(id);
        parsed.attachments.forEach((a, idx) => {
          st.insertBlob!.run(a.sha256, a.md5, a.size, a.content);
          st.insertAttachment!.run(id, idx, a.sha256, a.md5, a.filename, a.contentType, a.size, a.cid, a.inline ? 1 : 0);
        });
      });
      each('webhook deliveries: enqueueForReady', (id) => store.webhooks.enqueueForReady(id));
      each('mark ready + received + copies', (id) => {
        st.markReady!.run(id);
        st.receivedOf!.get(id);
        st.copiesOf!.all(id);
      });
      each('SAVEPOINT + RELEASE (nested transaction)', () => db.transaction(() => 0)());
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['message', 'stage', 'p50 µs', 'p90 µs', 'note'][i]!.length));
  const line = (r: string[]) => `| ${r.map((c, i) => (i >= 2 && i <= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  console.log(`Stages (${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, N=${N})\n`);
  console.log(line(['message', 'stage', 'p50 µs', 'p90 µs', 'note']));
  console.log(`|${widths.map((w, i) => (i >= 2 && i <= 3 ? '-'.repeat(w + 1) + ':' : ':' + '-'.repeat(w + 1))).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
