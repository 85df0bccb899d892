// Plain text from an HTML body, for mail that has no text part (Mailsac's
// /api/text, the search index). One pass over the input: every character is
// looked at a bounded number of times, so `'<a' * 100000` (issue 10: two
// regexes rescanning to the end from every `<` took 9 s) costs what any 200 KB
// body costs. It replaces mailparser's html-to-text, which builds a DOM and
// kept a worker busy past 30 s on 1 MB of nested <blockquote>.

/** Input past this is not converted: a text form is a convenience, not a copy. */
export const MAX_HTML_TO_TEXT_INPUT = 4 * 1024 * 1024;

// Elements whose content is never text a reader sees.
const SKIP_CONTENT = new Set(['script', 'style', 'head', 'title', 'template', 'noscript', 'xmp', 'textarea', 'iframe', 'noembed', 'noframes', 'svg', 'math']);
// Elements that start or end on a line of their own.
const BLOCK = new Set([
  'p', 'div', 'br', 'tr', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'table', 'ul', 'ol', 'dl', 'dt', 'dd',
  'hr', 'section', 'article', 'header', 'footer', 'address', 'center', 'form', 'fieldset', 'figure', 'main', 'nav', 'aside',
]);

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function decodeEntity(html: string, amp: number, out: string[]): number {
  // At most 12 characters are looked at: bounded per `&` (a search for `;` to
  // the end from every `&` would be quadratic on `&&&&…`).
  let semi = -1;
  for (let k = amp + 1; k < html.length && k - amp <= 11; k++) {
    if (html.charCodeAt(k) === 0x3b) {
      semi = k;
      break;
    }
  }
  if (semi < 0) {
    out.push('&');
    return amp + 1;
  }
  const name = html.slice(amp + 1, semi);
  let ch: string | undefined = NAMED[name.toLowerCase()];
  if (ch === undefined && /^#\d{1,7}$/.test(name)) ch = codePoint(Number(name.slice(1)));
  else if (ch === undefined && /^#[xX][0-9a-fA-F]{1,6}$/.test(name)) ch = codePoint(parseInt(name.slice(2), 16));
  if (ch === undefined) {
    out.push('&');
    return amp + 1;
  }
  out.push(ch);
  return semi + 1;
}

function codePoint(cp: number): string {
  return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '\uFFFD';
}

/** The visible text of an HTML body: tags dropped, block ends as newlines, entities decoded. */
export function htmlToText(input: string): string {
  const html = input.length > MAX_HTML_TO_TEXT_INPUT ? input.slice(0, MAX_HTML_TO_TEXT_INPUT) : input;
  const out: string[] = [];
  let pos = 0;
  const n = html.length;
  // Where the next `&` is, remembered: searching again from every text run
  // would rescan to the end each time.
  let nextAmp = -2;
  while (pos < n) {
    const lt = html.indexOf('<', pos);
    const textEnd = lt < 0 ? n : lt;
    // Text run: whitespace collapsed as a browser would, entities decoded.
    let i = pos;
    while (i < textEnd) {
      if (nextAmp !== -1 && nextAmp < i) nextAmp = html.indexOf('&', i);
      const amp = nextAmp;
      const stop = amp < 0 || amp >= textEnd ? textEnd : amp;
      if (stop > i) out.push(html.slice(i, stop).replace(/\s+/g, ' '));
      if (stop === textEnd) break;
      i = decodeEntity(html, stop, out);
      if (i > textEnd) i = textEnd;
    }
    if (lt < 0) break;
    // A comment ends at the first `-->` (or the end): one indexOf, then past it.
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      pos = end < 0 ? n : end + 3;
      continue;
    }
    const c = html.charCodeAt(lt + 1);
    const closing = c === 0x2f;
    const first = closing ? html.charCodeAt(lt + 2) : c;
    if (!isAlpha(first) && c !== 0x21 && c !== 0x3f) {
      out.push('<'); // a stray `<` is text, as in a browser
      pos = lt + 1;
      continue;
    }
    const gt = html.indexOf('>', lt);
    // An unclosed tag swallows the rest, as in a browser; and stops the scan,
    // so `<a<a<a…` is one indexOf, not one per `<`.
    if (gt < 0) break;
    let j = lt + (closing ? 2 : 1);
    const nameStart = j;
    while (j < gt && j - nameStart < 16 && isAlpha(html.charCodeAt(j))) j++;
    while (j < gt && j - nameStart < 16 && /[0-9a-zA-Z-]/.test(html[j]!)) j++;
    const name = html.slice(nameStart, j).toLowerCase();
    pos = gt + 1;
    if (BLOCK.has(name)) out.push('\n');
    if (!closing && SKIP_CONTENT.has(name) && html.charCodeAt(gt - 1) !== 0x2f) {
      // Skip to the matching end tag: one case-insensitive search forward.
      const end = findEndTag(html, name, pos);
      pos = end < 0 ? n : end;
    }
  }
  return tidy(out.join(''));
}

function findEndTag(html: string, name: string, from: number): number {
  const needle = '</' + name;
  let at = from;
  for (;;) {
    const lt = html.indexOf('</', at);
    if (lt < 0) return -1;
    if (html.slice(lt, lt + needle.length).toLowerCase() === needle) {
      const gt = html.indexOf('>', lt);
      return gt < 0 ? html.length : gt + 1;
    }
    at = lt + 2;
  }
}

/** Trailing spaces per line dropped, at most one blank line in a row, ends trimmed. Linear. */
function tidy(s: string): string {
  const lines = s.split('\n');
  const kept: string[] = [];
  let blank = 0;
  for (const line of lines) {
    const t = line.trim();
    if (!t) {
      if (++blank > 1) continue;
    } else blank = 0;
    kept.push(t);
  }
  return kept.join('\n').trim();
}
