// Worker-thread entry, run inside WalledPool: every read-path transformation
// of a stranger's body whose cost the body decides (issue 10 part 2). Each
// job is a pure function from src/mail; this file only dispatches.
import { serveWalledJobs } from './walled-worker.js';
import { sanitizeHtml } from '../mail/sanitize.js';
import { htmlToText } from '../mail/html-text.js';
import { textToSafeHtml } from '../mail/text.js';
import { inlineCidImages, type InlineImage } from '../mail/cid-inline.js';

export type RenderJob =
  | { kind: 'sanitize'; html: string; cidUrls: Array<[cid: string, url: string]>; allowRemote: boolean }
  | { kind: 'text'; html: string }
  | { kind: 'text-html'; text: string }
  | { kind: 'dirty'; html: string; images: InlineImage[] };

export interface RenderResult {
  /** The HTML or text produced. */
  body: string;
  remoteBlocked: number;
}

serveWalledJobs<RenderJob, RenderResult>((job) => {
  switch (job.kind) {
    case 'sanitize': {
      const urls = new Map(job.cidUrls);
      const out = sanitizeHtml(job.html, { cidUrl: (cid) => urls.get(cid) ?? null, allowRemote: job.allowRemote });
      return { output: { body: out.html, remoteBlocked: out.remoteBlocked } };
    }
    case 'text':
      return { output: { body: htmlToText(job.html), remoteBlocked: 0 } };
    case 'text-html':
      return { output: { body: textToSafeHtml(job.text), remoteBlocked: 0 } };
    case 'dirty':
      return { output: { body: inlineCidImages(job.html, job.images), remoteBlocked: 0 } };
  }
});
