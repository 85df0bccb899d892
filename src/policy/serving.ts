// How a stranger's bytes leave the server (issue 10 part 3; GUIDE "Showing
// mail from strangers"; bad-inputs 43-45): one rule for the pages and the API,
// so a fix to one is a fix to both. Pure: what is served, by whom it was
// named, in; the response headers out. Adapters add caching, nothing else.
import { safeFilename } from '../mail/filename.js';

/** Downloads, raw source and inline images: a sandbox with nothing allowed, should a browser ever render them anyway. */
export const DOWNLOAD_CSP = "default-src 'none'; sandbox";

/**
 * Bodies the API renders on request (/api/body, /api/dirty, /api/text): never
 * in our origin, inline styles and data: images only, the same walls as the
 * page's message frame.
 */
export const BODY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'";

/** Raster image types a browser shows as an image and nothing else. */
const INLINE_IMAGE = /^image\/(png|jpeg|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)$/;
/** Types a browser could render as a document or run as code, whatever the disposition says. */
const RENDERABLE = /(html|xml|svg|script|xsl|css)|^(multipart|message)\/|^text\/(?!plain$|csv$)/;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

export type Served =
  /** An attachment: downloaded, never rendered. fallbackName when its own name cleans to nothing. */
  | { kind: 'attachment'; filename: string; contentType: string; fallbackName: string }
  /** A part referenced by cid: from a message body: shown only if it is a raster image, else downloaded. */
  | { kind: 'inline-image'; filename: string; contentType: string; fallbackName: string }
  /** The message source as received: shown as text whatever the bytes look like. */
  | { kind: 'raw'; download: boolean; filename: string }
  /** A body made by us from the message (text or HTML), for the API. */
  | { kind: 'body'; contentType: 'text/plain; charset=utf-8' | 'text/html; charset=utf-8'; download: boolean; filename: string };

/** The declared type without parameters, lower-cased. */
function mediaType(declared: string): string {
  return declared.split(';')[0]!.trim().toLowerCase();
}

/** The type an attachment is downloaded with: its own when well-formed and harmless, octet-stream otherwise. */
export function downloadType(declared: string): string {
  const t = mediaType(declared);
  return MEDIA_TYPE.test(t) && !RENDERABLE.test(t) ? t : 'application/octet-stream';
}

/**
 * `attachment; filename="..."` with a name safe on every OS (mail/filename.ts),
 * plus `filename*` (RFC 6266 §4.3, RFC 8187) when the name says more than its
 * ASCII form can.
 */
export function contentDisposition(name: string, fallback: string): string {
  const { ascii, utf8Star } = safeFilename(name, fallback);
  const full = decodeURIComponent(utf8Star.slice("UTF-8''".length));
  return full === ascii ? `attachment; filename="${ascii}"` : `attachment; filename="${ascii}"; filename*=${utf8Star}`;
}

/** The headers a stranger's bytes are served with. nosniff always: the type given is the type used. */
export function servingHeaders(s: Served): Record<string, string> {
  const nosniff = { 'X-Content-Type-Options': 'nosniff' };
  switch (s.kind) {
    case 'attachment':
      return {
        'Content-Type': downloadType(s.contentType),
        'Content-Disposition': contentDisposition(s.filename, s.fallbackName),
        'Content-Security-Policy': DOWNLOAD_CSP,
        ...nosniff,
      };
    case 'inline-image': {
      const type = mediaType(s.contentType);
      const image = INLINE_IMAGE.test(type);
      return {
        'Content-Type': image ? type : 'application/octet-stream',
        ...(image ? {} : { 'Content-Disposition': contentDisposition(s.filename, s.fallbackName) }),
        'Content-Security-Policy': DOWNLOAD_CSP,
        // The sandboxed body has an opaque origin, so its image requests are cross-origin to us.
        'Cross-Origin-Resource-Policy': 'cross-origin',
        ...nosniff,
      };
    }
    case 'raw':
      return {
        'Content-Type': 'text/plain; charset=utf-8',
        ...(s.download ? { 'Content-Disposition': contentDisposition(s.filename, 'message.eml') } : {}),
        'Content-Security-Policy': DOWNLOAD_CSP,
        ...nosniff,
      };
    case 'body':
      return {
        'Content-Type': s.contentType,
        ...(s.download ? { 'Content-Disposition': contentDisposition(s.filename, 'body.txt') } : {}),
        'Content-Security-Policy': BODY_CSP,
        ...nosniff,
      };
  }
}

/**
 * The CSP of the page's message frame (the sanitized HTML in a sandboxed
 * iframe). Images only from the given sources (data:, this message's own cid
 * route, and remote ones when the reader unblocked them): the CSP enforces
 * what the sanitizer already did, so a sanitizer bug still fetches nothing.
 */
export function messageFrameCsp(imgSources: string[]): string {
  return [
    'sandbox allow-popups allow-popups-to-escape-sandbox',
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `img-src ${imgSources.join(' ')}`,
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
  ].join('; ');
}
