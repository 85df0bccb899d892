// Fills a store with many messages quickly for the read and prune benches:
// straight through MessageStore.insertReceived + applyParse in big
// transactions, with the parsed form built alongside the raw bytes instead of
// parsing them again. The mail is spread over inboxes with a Zipf law (a few
// very busy addresses, a long tail), senders likewise, sizes mostly small with
// some long newsletters and a few attachments, and 5% sent to two addresses.
import { createHash } from 'node:crypto';
import type { Store } from '../../src/store/index.js';
import { encodeBody, encodeRaw, RAW_DEFLATE_STORED_LEVEL } from '../../src/store/body-codec.js';
import type { ParsedMessage } from '../../src/mail/types.js';
import { randomFillSync } from 'node:crypto';
import { bodyParts, buildMessage, TextMaker, vocabulary, type BodyParts, type Person } from './messages.js';
import { rng, zipf } from './stats.js';

export interface SeedOptions {
  domain?: string;
  inboxes?: number;
  senders?: number;
  /** Messages per transaction. */
  batch?: number;
  /**
   * Distinct rendered bodies, reused with fresh headers (inbox, sender, date,
   * Message-ID) so generating text does not dominate the seeding time.
   */
  bodies?: number;
  seed?: number;
  /** Receive times run from `start` in steps of `stepMs` (1M messages ≈ 29 days). */
  start?: number;
  stepMs?: number;
}

export function inboxName(rank: number, domain: string): string {
  return `user${rank}@${domain}`;
}

export class Seeder {
  readonly domain: string;
  readonly inboxes: number;
  private readonly random: () => number;
  private readonly maker: TextMaker;
  private readonly pickInbox: () => number;
  private readonly pickSender: () => number;
  private readonly senders: Person[];
  private readonly batch: number;
  private readonly start: number;
  private readonly stepMs: number;
  private readonly pool: Array<{ subject: string; parts: BodyParts; links: string[] }> = [];
  private readonly poolSize: number;
  /** Messages generated so far (also the index of the next one). */
  count = 0;
  rawBytes = 0;

  constructor(private store: Store, opts: SeedOptions = {}) {
    this.domain = opts.domain ?? 'mailroom.test';
    this.inboxes = opts.inboxes ?? 10_000;
    this.random = rng(opts.seed ?? 42);
    this.maker = new TextMaker(vocabulary(), this.random);
    this.pickInbox = zipf(this.inboxes, 1.0, this.random);
    const nSenders = opts.senders ?? 500;
    this.pickSender = zipf(nSenders, 1.1, this.random);
    const orgs = ['github', 'stripe', 'shop', 'bank', 'jira', 'news', 'cloud', 'travel', 'school', 'health'];
    this.senders = Array.from({ length: nSenders }, (_, i) => {
      const org = `${orgs[i % orgs.length]}${Math.floor(i / orgs.length) || ''}`;
      return { name: `${org[0].toUpperCase()}${org.slice(1)} Notifications`, address: `noreply@mail.${org}.example` };
    });
    this.batch = opts.batch ?? 5000;
    this.start = opts.start ?? Date.now() - 30 * 86_400_000;
    this.stepMs = opts.stepMs ?? 2500;
    this.poolSize = opts.bodies ?? 20_000;
    this.attach(store);
  }

  /** Continues seeding through another (reopened) store. */
  attach(store: Store): void {
    // Open it with a big page cache (bench.ts, openStore's cacheKiB).
    this.store = store;
  }

  /** A body of the given rough length, from the pool once it is full. */
  private body(chars: number): { subject: string; parts: BodyParts; links: string[] } {
    if (this.pool.length >= this.poolSize) {
      // The pool was filled with the same size mix, so a random pick keeps it.
      return this.pool[Math.floor(this.random() * this.pool.length)];
    }
    const subject = this.maker.sentence().slice(0, 70);
    const links = [`https://links.example/m/${this.pool.length.toString(36)}`];
    const b = { subject, parts: bodyParts(this.maker.paragraphs(chars), links), links };
    this.pool.push(b);
    return b;
  }

  /** Adds n messages; returns how long it took. */
  add(n: number, onProgress?: (done: number) => void): number {
    const t0 = performance.now();
    let done = 0;
    while (done < n) {
      const k = Math.min(this.batch, n - done);
      this.store.transaction(() => {
        for (let i = 0; i < k; i++) this.one();
      });
      done += k;
      onProgress?.(done);
    }
    return performance.now() - t0;
  }

  private one(): void {
    const i = this.count++;
    const r = this.random;
    const sender = this.senders[this.pickSender()];
    const rank = this.pickInbox();
    const inbox = inboxName(rank, this.domain);
    const second = r() < 0.05 ? inboxName((rank + 1 + Math.floor(r() * 50)) % this.inboxes, this.domain) : null;
    const u = r();
    const chars = u < 0.7 ? 400 + r() * 800 : u < 0.95 ? 1200 + r() * 1800 : 3000 + r() * 5000;
    const received = this.start + i * this.stepMs;
    const date = new Date(received - 2000);
    const messageId = `${i}.${Math.floor(r() * 1e12).toString(36)}@${sender.address.split('@')[1]}`;
    // Attachments are always fresh bytes, so blob deduplication does not flatter the byte count.
    const attachment =
      r() < 0.02
        ? { filename: `document-${i}.pdf`, contentType: 'application/pdf', data: randomFillSync(Buffer.alloc(10_000 + Math.floor(r() * 30_000))) }
        : undefined;
    const to: Person = { name: `User ${rank}`, address: inbox };
    const { subject, parts, links } = this.body(chars);
    const built = buildMessage({ from: sender, to, subject, date, messageId, paragraphs: [], links, attachment }, parts);
    const recipients = [inbox, ...(second ? [second] : [])].map((a) => ({ inbox: a, original: a, domain: this.domain }));
    const ids = this.store.messages.insertReceived({
      raw: built.raw,
      mailFrom: sender.address,
      recipients,
      ip: '198.51.100.7',
      helo: 'mta-07.mail.example.com',
      tls: true,
      received,
    });
    this.rawBytes += built.raw.length;
    const parsed: ParsedMessage = {
      ok: true,
      error: '',
      subject,
      from: [sender],
      to: [to],
      cc: [],
      bcc: [],
      replyTo: [],
      date: date.getTime(),
      messageId,
      text: built.text,
      html: built.html,
      headers: built.headers,
      links,
      attachments: attachment
        ? [
            {
              filename: attachment.filename,
              contentType: attachment.contentType,
              size: attachment.data.length,
              cid: '',
              md5: createHash('md5').update(attachment.data).digest('hex'),
              sha256: createHash('sha256').update(attachment.data).digest('hex'),
              inline: false,
              content: attachment.data,
            },
          ]
        : [],
    };
    // What the parse worker hands applyParse (jobs/parse-worker.ts): the body
    // deflated against the raw bytes, and the raw bytes at the stored level.
    const packed = encodeRaw(built.raw, RAW_DEFLATE_STORED_LEVEL);
    this.store.messages.applyParse(ids.contentId, parsed, encodeBody(parsed, built.raw), packed.encoding === 'deflate' ? packed.data : undefined);
  }

  /** An inbox drawn with the same Zipf law the mail was spread with: readers read busy inboxes more. */
  sampleInbox(): string {
    return inboxName(this.pickInbox(), this.domain);
  }

  /** Words to search for: one common, one of middling frequency, one rare, and a two-word query. */
  searchQueries(): string[] {
    const w = this.maker.words;
    return [w[60], w[400], w[3000], `${w[45]} ${w[700]}`];
  }
}
