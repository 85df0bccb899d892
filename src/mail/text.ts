// Plain-text bodies and header text as HTML. Everything is escaped first; the
// only markup we add is <a> around http(s) URLs, whose href is escaped with the
// same function (Roundcube CVE-2023-43770 was a linkifier that trusted the URL:
// bad-inputs 59).

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  // NUL is turned into U+FFFD by HTML parsers anyway (HTML §13.2.5); doing it
  // here keeps the output identical whatever parser reads it (bad-inputs 15).
  '\u0000': '\uFFFD',
};

/** Escapes text for both element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"'\u0000]/g, (c) => ESCAPES[c]!);
}

// `"`, `<`, `>` and whitespace can never be part of a URL we link (RFC 3986
// appendix C: they delimit URIs in text), which is what stops
// `https://x/"><script>` from carrying the markup into the link.
const URL_IN_TEXT =
  /(?<![A-Za-z0-9+.-])https?:\/\/[^\s<>"`\u0000-\u001f\u007f\u00a0\u2000-\u200b\u2028\u2029\u3000\ufeff]+/gi;

// Longer URLs are left as plain (escaped) text: no legitimate link needs them,
// and it keeps one hostile token from becoming a megabyte attribute.
const MAX_URL_LENGTH = 4096;

const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/**
 * Drops sentence punctuation and unbalanced closing brackets from the end of
 * a URL found in prose. Linear: brackets are counted once, not per character.
 */
function trimUrl(url: string): string {
  const count: Record<string, number> = { '(': 0, ')': 0, '[': 0, ']': 0, '{': 0, '}': 0 };
  for (let i = 0; i < url.length; i++) {
    const c = url[i]!;
    if (c in count) count[c]!++;
  }
  let end = url.length;
  while (end > 0) {
    const c = url[end - 1]!;
    if ('.,;:!?\'*'.includes(c)) {
      end--;
      continue;
    }
    const open = CLOSERS[c];
    if (open && count[c]! > count[open]!) {
      count[c]!--;
      end--;
      continue;
    }
    break;
  }
  return url.slice(0, end);
}

/** A URL found in text: where it starts and the URL itself. */
interface UrlMatch {
  index: number;
  url: string;
}

function* urlMatches(text: string): Generator<UrlMatch> {
  URL_IN_TEXT.lastIndex = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    if (m[0].length > MAX_URL_LENGTH + 64) continue;
    const url = trimUrl(m[0]);
    // "https://" alone, or followed only by punctuation, names no host.
    if (!/^https?:\/\/[^/?#.]/i.test(url) || url.length > MAX_URL_LENGTH) continue;
    yield { index: m.index!, url };
  }
}

/** The http(s) URLs in plain text, in order, duplicates included. `max` bounds the work on hostile bodies. */
export function findUrls(text: string, max = 1000): string[] {
  const out: string[] = [];
  for (const { url } of urlMatches(text)) {
    out.push(url);
    if (out.length >= max) break;
  }
  return out;
}

/**
 * Escapes a plain-text body and links its http(s) URLs. Newlines are kept as
 * they are: the caller shows the result in `<pre>` or with `white-space: pre-wrap`.
 */
export function textToSafeHtml(text: string): string {
  let out = '';
  let last = 0;
  for (const { index, url } of urlMatches(text)) {
    const href = escapeHtml(url);
    out += escapeHtml(text.slice(last, index));
    out += `<a href="${href}" rel="noopener noreferrer" target="_blank">${href}</a>`;
    last = index + url.length;
  }
  return out + escapeHtml(text.slice(last));
}
