// The "dirty" body (Mailsac's /api/dirty): the original HTML with cid:
// images replaced by data: URIs. Total inlined bytes are capped (issue 10:
// one 5 MiB image referenced 400 times made a 2.7 GB answer); past the cap a
// reference stays `cid:…`, which the reader can still fetch by its cid.

/** Most data: URI characters one answer may carry, all references together. */
export const MAX_INLINED_CHARS = 8 * 1024 * 1024;

export interface InlineImage {
  /** Content-ID without angle brackets. */
  cid: string;
  contentType: string;
  data: Uint8Array;
}

const CID_REF = /cid:([^"'\s>)]+)/gi;

export function inlineCidImages(html: string, images: InlineImage[], maxChars = MAX_INLINED_CHARS): string {
  const byCid = new Map<string, InlineImage>();
  for (const img of images) byCid.set(img.cid.toLowerCase(), img);
  // Each image is encoded once, however often it is referenced.
  const encoded = new Map<string, string>();
  let budget = maxChars;
  return html.replace(CID_REF, (whole, cid: string) => {
    let key = cid;
    try {
      key = decodeURIComponent(cid);
    } catch {
      // not percent-encoded
    }
    const img = byCid.get(key.toLowerCase());
    if (!img) return whole;
    let uri = encoded.get(img.cid);
    if (uri === undefined) {
      const type = /^[\w.+-]+\/[\w.+-]+$/.test(img.contentType) ? img.contentType : 'application/octet-stream';
      uri = `data:${type};base64,${Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength).toString('base64')}`;
      encoded.set(img.cid, uri);
    }
    if (uri.length > budget) return whole;
    budget -= uri.length;
    return uri;
  });
}
