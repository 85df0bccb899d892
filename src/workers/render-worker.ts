// Worker-thread entry, run inside WalledPool: every read-path transformation
// of a stranger's body whose cost the body decides (issue 10 part 2),
// including decoding the stored body document itself (a 20 MB body took
// ~200 ms to inflate and parse). Each job is a pure function from src/mail;
// this file only decodes and dispatches.
import { serveWalledJobs } from './walled-worker.js';
import { decodeBody, rawHead, type StoredBody } from '../store/body-codec.js';
import { sanitizeHtml } from '../mail/sanitize.js';
import { htmlToText } from '../mail/html-text.js';
import { escapeHtml, textToSafeHtml } from '../mail/text.js';
import { inlineCidImages, type InlineImage } from '../mail/cid-inline.js';

/**
 * The body as the store holds it: the compressed document (with the start of
 * the stored raw bytes when it was deflated against them, body-codec.ts), or
 * (rows from before it) the decoded fields.
 */
export type BodyRef = { z: Uint8Array; rawHead?: Uint8Array; rawEncoding?: string } | { body: StoredBody };

export type RenderJob =
  | { kind: 'summary'; ref: BodyRef }
  | { kind: 'sanitize'; ref: BodyRef; cidUrls: Array<[cid: string, url: string]>; allowRemote: boolean }
  | { kind: 'source'; ref: BodyRef; maxChars: number }
  | { kind: 'text'; ref: BodyRef }
  | { kind: 'text-html'; ref: BodyRef; maxChars: number }
  | { kind: 'dirty'; ref: BodyRef; images: InlineImage[]; maxChars: number };

export interface RenderResult {
  /** The HTML or text produced. */
  body: string;
  remoteBlocked: number;
  /** `body` is the text body as escaped HTML, to be wrapped in a document. */
  fromText: boolean;
  hasHtml: boolean;
  hasText: boolean;
  headers: Array<[string, string]>;
}

function decode(ref: BodyRef): StoredBody {
  if ('body' in ref) return ref.body;
  const head = ref.rawHead;
  return decodeBody(Buffer.from(ref.z.buffer, ref.z.byteOffset, ref.z.byteLength), () =>
    rawHead(head ? Buffer.from(head.buffer, head.byteOffset, head.byteLength) : Buffer.alloc(0), ref.rawEncoding ?? 'identity'),
  );
}

function result(body: string, extra: Partial<RenderResult> = {}): RenderResult {
  return { body, remoteBlocked: 0, fromText: false, hasHtml: false, hasText: false, headers: [], ...extra };
}

function textHtml(text: string, maxChars: number): string {
  return textToSafeHtml(text.length > maxChars ? text.slice(0, maxChars) + '\n…' : text);
}

// jsdom's window is made on the first sanitize (~50 ms, more on a busy
// machine): made here, before the worker says it is ready, so it never
// counts against a stranger's message's wall time.
sanitizeHtml('<p>warm</p>', { cidUrl: () => null, allowRemote: false });

serveWalledJobs<RenderJob, RenderResult>((job) => {
  const b = decode(job.ref);
  switch (job.kind) {
    case 'summary':
      return { output: result('', { hasHtml: Boolean(b.html), hasText: Boolean(b.text), headers: b.headers }) };
    case 'sanitize': {
      if (!b.html) return { output: result('') };
      const urls = new Map(job.cidUrls);
      const out = sanitizeHtml(b.html, { cidUrl: (cid) => urls.get(cid) ?? null, allowRemote: job.allowRemote });
      return { output: result(out.html, { remoteBlocked: out.remoteBlocked }) };
    }
    case 'source':
      return { output: result(escapeHtml(b.html.slice(0, job.maxChars))) };
    case 'text':
      return { output: result(b.text || (b.html ? htmlToText(b.html) : '')) };
    case 'text-html':
      return { output: result(textHtml(b.text, job.maxChars), { fromText: true }) };
    case 'dirty':
      if (!b.html) return { output: result(textHtml(b.text, job.maxChars), { fromText: true }) };
      return { output: result(inlineCidImages(b.html, job.images)) };
  }
});
