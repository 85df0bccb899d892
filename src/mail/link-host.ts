// The host a link goes to, apart from the sanitizer: the message page's
// link list needs it on the main thread, and importing it from sanitize.ts
// loaded jsdom there too (issue 16, RSS: ~95 MB resident and ~49 MB of heap
// in a process that never sanitizes; sanitizing runs in the render workers).
import { domainToASCII } from 'node:url';

/** Strips what browsers ignore in a URL (controls, spaces), as sanitize.ts reads hrefs. */
function compact(url: string): string {
  // eslint-disable-next-line no-control-regex
  return url.replace(/[\u0000-\u0020\u007f]/g, '');
}

/**
 * The host a link really goes to, in ASCII (punycode) form so homoglyphs show
 * as xn--; for mailto the domain of the first address; '' when there is none.
 */
export function linkHost(href: string): string {
  const v = compact(String(href ?? ''));
  if (/^mailto:/i.test(v)) {
    const addr = v.slice(7).split(/[?,]/)[0] ?? '';
    let at = addr;
    try {
      at = decodeURIComponent(addr);
    } catch {
      // keep it as written
    }
    const domain = at.slice(at.lastIndexOf('@') + 1);
    return at.includes('@') && domain ? domainToASCII(domain) : '';
  }
  if (!/^https?:\/\//i.test(v)) return '';
  try {
    return new URL(v).hostname;
  } catch {
    return '';
  }
}

