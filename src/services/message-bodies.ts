// The forms of a message body the read paths show (UI iframe, /api/text,
// /api/body, /api/dirty), produced in walled render workers on first view
// and cached (issue 10 part 2, issue 16: heavier forms on first view, cached).
// The main thread only reads stored bytes and hands them over: no work whose
// cost a stranger's bytes decide runs here. A body whose rendering hits a wall
// (time, memory, output size) is shown as escaped text and flagged; it costs
// the other requests nothing but a worker restart.
import type { ResourceLimits } from 'node:worker_threads';
import type { AttachmentMeta, MessageView } from '../store/messages.js';
import type { StoredBody } from '../store/body-codec.js';
import { WalledPool } from '../workers/walled-pool.js';
import { siblingModule } from '../worker-entry.js';
import { ByteLru } from './byte-lru.js';
import type { InlineImage } from '../mail/cid-inline.js';
import type { BodyRef, RenderJob, RenderResult } from '../workers/render-worker.js';

/** What this service reads: the stored body and attachment bytes (MessageReader's, so either engine). */
export interface BodyStore {
  /** rawHead: the start of the stored raw bytes, when the document was deflated against them (body-codec.ts). */
  storedBody(contentId: number): Promise<{ z: Buffer; rawHead?: Buffer; rawEncoding?: string } | { body: StoredBody } | null>;
  attachmentData(sha256: string): Promise<Buffer | null>;
}

export type BodyMessage = Pick<MessageView, 'contentId' | 'parseState' | 'attachments'>;

export interface RenderedHtml {
  html: string;
  remoteBlocked: number;
  /** The sanitizer hit a wall; `html` is the escaped source. */
  degraded: boolean;
}

/** What the message page needs to choose its tabs, without the bodies themselves. */
export interface BodySummary {
  hasHtml: boolean;
  hasText: boolean;
  headers: Array<[string, string]>;
}

// Sanitizing 512 KB of HTML on jsdom takes well under a second and ~100 MB.
const RENDER_TIME_LIMIT_MS = 5_000;
/**
 * The young generation is small on purpose (issue 16, RSS < 250 MB): V8
 * keeps a young generation at its high-water size once a burst of views has
 * grown it, and at 32 MB the render worker held ~31 MB of it after 600 page
 * views. At 8 MB the sanitize times of stored bodies and of a 400 KB body
 * did not change measurably (docs/performance.md run P); large DOMs are
 * promoted to the old generation, whose limit is the wall that matters.
 */
const RENDER_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 384, maxYoungGenerationSizeMb: 8, stackSizeMb: 8 };
/**
 * A render worker nobody has viewed a message through for this long exits
 * (issue 16, RSS): jsdom and DOMPurify hold ~50-60 MB of it. The next view
 * starts one again and waits for it to load: 2.7-3.6 s on the loaded 2-core
 * machine of docs/performance.md run P, so the wait is long enough that a
 * person reading mail keeps the worker between views.
 */
export const RENDER_IDLE_MS = 5 * 60_000;
/** A 25 MB HTML body (the default message size cap) fits, twice over. */
const MAX_RENDER_OUTPUT_BYTES = 128 * 1024 * 1024;
/** Sanitized bodies kept in memory, all messages together. */
const CACHE_BYTES = 32 * 1024 * 1024;
/** Summaries (which bodies, headers) kept in memory. */
const SUMMARY_CACHE_BYTES = 8 * 1024 * 1024;
/** Degraded views show this much escaped source. */
const DEGRADED_PREFIX = 64 * 1024;
/**
 * /api/body of a text-only message: at most this much text is converted.
 * Chosen over streaming: the HTML rendition is for reading, and the whole
 * text is a plain read at /api/text. Before, a 20 MB text message built a
 * 140 MB answer in 3 s on the main thread (issue 10).
 */
export const MAX_TEXT_FOR_HTML = 1024 * 1024;
/** /api/dirty loads at most this many attachment bytes to inline (cid-inline.ts caps the answer). */
const MAX_INLINE_LOAD = 6 * 1024 * 1024;
const MAX_INLINE_IMAGE = 5 * 1024 * 1024;

export class MessageBodies {
  private readonly cache = new ByteLru<RenderedHtml>(CACHE_BYTES, (r) => r.html.length * 2 + 64);
  private readonly summaries = new ByteLru<BodySummary>(SUMMARY_CACHE_BYTES, summaryBytes);
  private readonly inProgress = new Map<string, Promise<unknown>>();
  /** Renders that hit a wall since start (health, tests). */
  degradedCount = 0;

  constructor(
    private readonly store: BodyStore,
    private readonly pool: WalledPool<RenderJob, RenderResult> = createRenderPool(),
  ) {}

  /** Which bodies a message has, and its headers: decoded in a worker, cached. */
  async summary(m: BodyMessage): Promise<BodySummary> {
    const key = `m:${m.contentId}:${m.parseState}`;
    const hit = this.summaries.get(key);
    if (hit) return hit;
    const s = await this.once(key, async () => {
      const ref = await this.ref(m);
      if (!ref) return { hasHtml: false, hasText: false, headers: [] };
      try {
        const r = await this.pool.run({ kind: 'summary', ref });
        return { hasHtml: r.hasHtml, hasText: r.hasText, headers: r.headers };
      } catch {
        this.degradedCount++;
        return { hasHtml: false, hasText: false, headers: [] };
      }
    });
    this.summaries.set(key, s);
    return s;
  }

  /**
   * The sanitized HTML body, for the UI iframe (`cidUrls` map this message's
   * Content-IDs to its own cid route) or /api/body (no cid URLs). `view`
   * names the route, as the result depends on the URLs given.
   */
  sanitized(m: BodyMessage, view: string, cidUrls: Array<[string, string]>, allowRemote: boolean): Promise<RenderedHtml> {
    const key = `s:${m.contentId}:${m.parseState}:${allowRemote ? 1 : 0}:${view}`;
    return this.cached(key, async () => {
      const ref = await this.ref(m);
      if (!ref) return { html: '', remoteBlocked: 0, degraded: false };
      return this.render({ kind: 'sanitize', ref, cidUrls, allowRemote }, ref);
    });
  }

  /** The plain text body: stored at processing time; converted from HTML (walled) only for rows stored before that. */
  async plainText(m: BodyMessage): Promise<string> {
    const ref = await this.ref(m);
    if (!ref) return '';
    // Not cached: it can be as large as the message, and it is a plain read.
    try {
      return (await this.pool.run({ kind: 'text', ref })).body;
    } catch {
      this.degradedCount++;
      return '';
    }
  }

  /** /api/body: sanitized HTML, or the text body as escaped, linked HTML (capped, see MAX_TEXT_FOR_HTML). */
  async apiBody(m: BodyMessage): Promise<{ html: string; document: boolean }> {
    const s = await this.summary(m);
    if (s.hasHtml) return { html: (await this.sanitized(m, 'api', [], false)).html, document: false };
    return { html: await this.textHtml(m), document: true };
  }

  /**
   * The text body escaped and its URLs linked, for the UI's text view and
   * /api/body of text-only mail; the first MAX_TEXT_FOR_HTML characters.
   */
  async textHtml(m: BodyMessage): Promise<string> {
    const r = await this.cached(`b:${m.contentId}:${m.parseState}`, async () => {
      const ref = await this.ref(m);
      if (!ref) return { html: '', remoteBlocked: 0, degraded: false };
      return this.render({ kind: 'text-html', ref, maxChars: MAX_TEXT_FOR_HTML }, null);
    });
    return r.html;
  }

  /**
   * /api/dirty: the original HTML with cid images inlined, up to a total cap
   * (cid-inline.ts). Not cached: it can be megabytes, and it is an unusual read.
   */
  async dirty(m: BodyMessage): Promise<{ html: string; document: boolean }> {
    const ref = await this.ref(m);
    if (!ref) return { html: '', document: true };
    const images: InlineImage[] = [];
    let loaded = 0;
    for (const a of inlineCandidates(m.attachments)) {
      if (loaded + a.size > MAX_INLINE_LOAD) continue;
      const data = await this.store.attachmentData(a.sha256);
      if (!data) continue;
      loaded += data.length;
      images.push({ cid: a.cid, contentType: a.contentType, data });
    }
    try {
      const r = await this.pool.run({ kind: 'dirty', ref, images, maxChars: MAX_TEXT_FOR_HTML });
      return { html: r.body, document: r.fromText };
    } catch {
      this.degradedCount++;
      return { html: (await this.degradedView(ref)).html, document: false };
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private ref(m: BodyMessage): Promise<BodyRef | null> {
    // Only the compressed document crosses to the worker: reading it is a bounded copy.
    return this.store.storedBody(m.contentId);
  }

  /** Ten readers opening the same new message start one render, not ten. */
  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.inProgress.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      this.inProgress.set(key, p);
      p.finally(() => this.inProgress.delete(key)).catch(() => {});
    }
    return p;
  }

  private async cached(key: string, make: () => Promise<RenderedHtml>): Promise<RenderedHtml> {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const r = await this.once(key, make);
    this.cache.set(key, r);
    return r;
  }

  private async render(job: RenderJob, ref: BodyRef | null): Promise<RenderedHtml> {
    try {
      const r = await this.pool.run(job);
      return { html: r.body, remoteBlocked: r.remoteBlocked, degraded: false };
    } catch {
      this.degradedCount++;
      return ref ? this.degradedView(ref) : { html: '', remoteBlocked: 0, degraded: true };
    }
  }

  /** Escaped source with a note: never markup from the message. The escaping is a job too, bounded to a prefix. */
  private async degradedView(ref: BodyRef): Promise<RenderedHtml> {
    let source = '';
    try {
      source = (await this.pool.run({ kind: 'source', ref, maxChars: DEGRADED_PREFIX })).body;
    } catch {
      source = '';
    }
    const note = '<p style="color:#b00020">This message is too complex to show as formatted HTML; its source is shown as text.</p>';
    return { html: `${note}<pre style="white-space:pre-wrap">${source}</pre>`, remoteBlocked: 0, degraded: true };
  }
}

function summaryBytes(s: BodySummary): number {
  let n = 64;
  for (const [k, v] of s.headers) n += (k.length + v.length) * 2 + 32;
  return n;
}

function inlineCandidates(attachments: AttachmentMeta[]): AttachmentMeta[] {
  return attachments.filter((a) => a.cid && a.size <= MAX_INLINE_IMAGE);
}

export function createRenderPool(size?: number, timeLimitMs = RENDER_TIME_LIMIT_MS, idleMs = RENDER_IDLE_MS): WalledPool<RenderJob, RenderResult> {
  return new WalledPool<RenderJob, RenderResult>({
    entry: siblingModule(import.meta.url, '../workers/render-worker'),
    size,
    timeLimitMs,
    idleMs,
    resourceLimits: RENDER_LIMITS,
    maxOutputBytes: MAX_RENDER_OUTPUT_BYTES,
  });
}

const perStore = new WeakMap<object, MessageBodies>();

/**
 * The body service of one store, made on first use. A lookup rather than a
 * constructor argument so the web routes can use it without a change to the
 * app's wiring while src/web is being restructured; its workers are unref'd.
 */
export function messageBodiesFor(store: { reader: BodyStore }): MessageBodies {
  let b = perStore.get(store);
  if (!b) {
    b = new MessageBodies(store.reader);
    perStore.set(store, b);
  }
  return b;
}
