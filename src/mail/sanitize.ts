// HTML bodies from strangers, made safe to show in the message iframe
// (GUIDE "Showing mail from strangers"). This is one layer of three: the
// iframe is sandboxed without allow-scripts and served with its own CSP, so
// a sanitizer miss must still not execute or fetch. Everything is done inside
// DOMPurify (config and hooks); its output is never edited afterwards, since
// re-parsing serialized HTML is exactly where mXSS lives (bad-inputs 52,
// SnappyMail CVE-2024-45800).

import { JSDOM } from 'jsdom';
import { parse as parseHtml5, defaultTreeAdapter } from 'parse5';
import type { DefaultTreeAdapterMap, TreeAdapter } from 'parse5';
import createDOMPurify from 'dompurify';
import type { Config, DOMPurify as Purifier, UponSanitizeAttributeHookEvent } from 'dompurify';
import { escapeHtml } from './text.js';
import { linkHost } from './link-host.js';

export { linkHost };

export interface SanitizeOptions {
  /**
   * Maps a Content-ID (from `cid:` in an img src, RFC 2392) to the URL that
   * serves that part, or null when the message has no such part. The URL
   * must be absolute or start with `/`.
   */
  cidUrl: (cid: string) => string | null;
  /** The reader unblocked remote images for this message. */
  allowRemote: boolean;
}

export interface SanitizeResult {
  html: string;
  /** Remote images removed because allowRemote was false. */
  remoteBlocked: number;
}

// jsdom costs roughly 0.1 ms per node (a typical 100 KB newsletter has
// 2 000-4 000 tags), deep nesting and
// many distinct attributes on one tag are quadratic in parse5, and every
// node DOMPurify removes costs time proportional to its siblings (10 000
// unknown sibling elements, 80 KB, took two minutes). So the input is capped
// before parsing, and the DOMPurify walk has a deadline; past either, the view
// degrades to escaped source (bad-inputs 50).
const MAX_HTML_CHARS = 512 * 1024;
/** Every `<` counts: tags, comments and stray ones alike. */
const MAX_TAGS = 10_000;
const MAX_DEPTH = 256;
const MAX_ATTRS = 1000;
const WALK_BUDGET_MS = 2000;
const FALLBACK_PREFIX = 64 * 1024;
// A data: image in the body is the sender's own pixels, not a fetch; big ones
// are a memory and layout attack, and real mail uses cid: parts for those.
const MAX_DATA_URI = 128 * 1024;

// Structure and text formatting only. Absent on purpose: script, style, link,
// meta, base (bad-inputs 56), form controls, iframe/frame/object/embed, media
// and picture/source (bad-inputs 55), svg and math (bad-inputs 52, 53).
const ALLOWED_TAGS = [
  // body is the walk's root: were it "disallowed", DOMPurify would hoist the
  // whole message into <html>, and jsdom's document.body lookup, run on every
  // later removal, would scan all of it (quadratic: 2 400 Outlook <o:p> took 2 s).
  // The parser merges a message's own <body> tags into this one.
  'body',
  'a', 'abbr', 'address', 'article', 'aside', 'b', 'bdi', 'big', 'blockquote', 'br',
  'caption', 'center', 'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'details', 'dfn',
  'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'font', 'footer', 'h1', 'h2', 'h3',
  'h4', 'h5', 'h6', 'header', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'main', 'mark',
  'nav', 'ol', 'p', 'pre', 'q', 's', 'samp', 'section', 'small', 'span', 'strike',
  'strong', 'sub', 'summary', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead',
  'time', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
];

// No id/name (DOM clobbering), no class (nothing to match once <style> is
// gone, and it would let a sender dress text up as our host label), no srcset/background/poster/lowsrc/ping/action
// (fetches: bad-inputs 55), no event handlers.
const ALLOWED_ATTR = [
  'abbr', 'align', 'alt', 'bgcolor', 'border', 'cellpadding', 'cellspacing', 'color', 'colspan', 'datetime', 'dir', 'face', 'headers', 'height', 'href', 'hspace',
  'lang', 'nowrap', 'open', 'rel', 'reversed', 'rowspan', 'scope', 'size', 'span', 'src',
  'start', 'style', 'target', 'title', 'type', 'valign', 'vspace', 'width',
];

// DOMPurify's default minus the schemes we never link (tel, ftp, xmpp, ...).
// The hooks below are stricter still; this is the backstop.
const ALLOWED_URI_REGEXP =
  /^(?:(?:https?|mailto):|data:image\/(?:png|gif|jpeg|webp);base64,|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i;

const DATA_IMAGE = /^data:image\/(?:png|gif|jpeg|webp);base64,[a-z0-9+/=\s]*$/i;

interface CallState {
  opts: SanitizeOptions;
  remoteBlocked: number;
  /** Nodes DOMPurify walked; 0 for markup means jsdom's parser threw. */
  visited: number;
  deadline: number;
}

class OverBudget extends Error {}

let purifier: Purifier | null = null;
// sanitize() is synchronous, so one call's state can live here while the
// shared hooks run; it is set and cleared around each call.
let current: CallState | null = null;

/** One jsdom window per process: creating it costs ~50 ms, DOMPurify is reentrant-safe between calls. */
function getPurifier(): Purifier {
  if (purifier) return purifier;
  const { window } = new JSDOM('');
  const p = createDOMPurify(window as unknown as Parameters<typeof createDOMPurify>[0]);
  p.addHook('beforeSanitizeElements', () => {
    if (!current) return;
    // Each step between two hook calls is bounded by the sibling count, so
    // checking here bounds the whole walk.
    if ((++current.visited & 63) === 0 && performance.now() > current.deadline) throw new OverBudget();
  });
  p.addHook('uponSanitizeAttribute', onAttribute);
  p.addHook('afterSanitizeAttributes', afterAttributes);
  purifier = p;
  return p;
}

const CONFIG: Config = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  ALLOWED_URI_REGEXP,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  ALLOW_SELF_CLOSE_IN_ATTR: false,
  // Text inside these would only be noise (or script source) once the element is gone.
  FORBID_CONTENTS: [
    'script', 'style', 'template', 'noscript', 'noembed', 'noframes', 'iframe', 'frame',
    'frameset', 'object', 'embed', 'applet', 'svg', 'math', 'title', 'head', 'textarea',
    'select', 'option', 'xmp', 'plaintext', 'audio', 'video', 'canvas',
  ],
  WHOLE_DOCUMENT: false,
  // Parse everything in body context. Without it, comments before the first
  // tag become children of the Document, and jsdom re-lists the Document's
  // children on every insert there: 8 000 `<!-- -->` took seconds to parse.
  FORCE_BODY: true,
  RETURN_DOM: false,
  RETURN_DOM_FRAGMENT: false,
  RETURN_TRUSTED_TYPE: false,
};

export function sanitizeHtml(html: string, opts: SanitizeOptions): SanitizeResult {
  const input = String(html ?? '');
  if (input.length > MAX_HTML_CHARS || tooComplex(input) || tooDeep(input)) return degraded(input);
  const first = run(input, opts);
  if (first !== PARSE_FAILED) return first ?? degraded(input);
  // jsdom 29 throws while parsing some inline styles, including the
  // `background:url(a.png)no-repeat;color:red` that Outlook writes
  // (jsdom/jsdom#4285, fixed only in jsdom 30, which needs Node 22), and
  // DOMPurify turns that into an empty result. Second try: the same HTML
  // with every style attribute renamed to one DOMPurify drops. This edits
  // the input, never the output, so DOMPurify's guarantees still hold.
  const second = run(withoutStyles(input), opts);
  return second && second !== PARSE_FAILED ? second : degraded(input);
}

const PARSE_FAILED = Symbol('parse failed');

/** One DOMPurify pass: the result, PARSE_FAILED when jsdom could not parse, null on any other failure. */
function run(input: string, opts: SanitizeOptions): SanitizeResult | typeof PARSE_FAILED | null {
  const p = getPurifier();
  const state: CallState = { opts, remoteBlocked: 0, visited: 0, deadline: performance.now() + WALK_BUDGET_MS };
  current = state;
  try {
    const out = String(p.sanitize(input, CONFIG));
    // A parse failure shows up as no node visited at all.
    if (state.visited === 0 && input.includes('<')) return PARSE_FAILED;
    return { html: out, remoteBlocked: state.remoteBlocked };
  } catch {
    return null;
  } finally {
    current = null;
  }
}

function withoutStyles(html: string): string {
  return html.replace(/<[a-zA-Z][^>]*>/g, (tag) => tag.replace(/([\s"'/])style(\s*=)/gi, '$1data-dropped-style$2'));
}

function degraded(input: string): SanitizeResult {
  return { html: `<pre>${escapeHtml(input.slice(0, FALLBACK_PREFIX))}</pre>`, remoteBlocked: 0 };
}

/**
 * A linear pre-scan counting tags and attributes per tag, before any parser
 * runs: parse5 checks attribute names for duplicates pairwise (20 000
 * attributes on one tag take ~2 s). Nesting is not guessed here (issue 10:
 * guessing took `<x/>` for self-closing and skipped optional end tags, so
 * 9 999 `<x/>` or a chain of `<rt>` built a 10 000-deep tree); tooDeep()
 * asks the parser itself. Each
 * character is looked at a bounded number of times; no backtracking regex
 * runs over the whole input (`<a <a <a ...` made one quadratic).
 */
function tooComplex(html: string): boolean {
  let tags = 0;
  let pos = 0;
  for (;;) {
    const lt = html.indexOf('<', pos);
    if (lt < 0) return false;
    if (++tags > MAX_TAGS) return true;
    const c = html.charCodeAt(lt + 1);
    const closing = c === 0x2f; /* / */
    const first = closing ? html.charCodeAt(lt + 2) : c;
    if (!((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a))) {
      pos = lt + 1;
      continue;
    }
    const gt = html.indexOf('>', lt);
    const end = gt < 0 ? html.length : gt;
    let attrs = 0;
    let inName = true;
    for (let i = lt + (closing ? 2 : 1); i < end; i++) {
      const ch = html.charCodeAt(i);
      const space = ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0c || ch === 0x0d;
      if (inName) {
        if (space || ch === 0x2f) inName = false;
      } else if (space) {
        const next = html.charCodeAt(i + 1);
        if (i + 1 < end && next !== 0x20 && next !== 0x09 && next !== 0x0a && next !== 0x0d && ++attrs > MAX_ATTRS) return true;
      }
    }
    if (gt < 0) return false;
    pos = gt + 1;
  }
}

class TooDeep extends Error {}

/**
 * True when the HTML parser (parse5, the one inside jsdom) would nest
 * elements deeper than MAX_DEPTH. Counted by the parser itself, not guessed:
 * its stack of open elements is the real nesting, whatever the tags (void,
 * `<x/>`, optional end tags, foreign content). Parsing stops at the first
 * element past the limit, so parse5's scope checks, which walk the stack,
 * never walk more than MAX_DEPTH entries: linear in the input. Elements are
 * also counted at insertion through their parents, for trees the adoption
 * agency algorithm deepens beyond the stack.
 */
export function tooDeep(html: string): boolean {
  const depth = new WeakMap<object, number>();
  const A = defaultTreeAdapter;
  const at = (node: object) => depth.get(node) ?? 0;
  const placed = (parent: object, node: object) => {
    const d = at(parent) + 1;
    if (d > MAX_DEPTH) throw new TooDeep();
    depth.set(node, d);
  };
  const adapter: TreeAdapter<DefaultTreeAdapterMap> = {
    ...A,
    appendChild(parent, node) {
      placed(parent, node);
      A.appendChild(parent, node);
    },
    insertBefore(parent, node, ref) {
      placed(parent, node);
      A.insertBefore(parent, node, ref);
    },
    onItemPush() {
      if (++open > MAX_DEPTH) throw new TooDeep();
    },
    onItemPop() {
      open--;
    },
  };
  let open = 0;
  try {
    // DOMPurify's FORCE_BODY parse: a document whose body starts with this element.
    parseHtml5('<remove></remove>' + html, { treeAdapter: adapter });
    return false;
  } catch (err) {
    if (err instanceof TooDeep) return true;
    // Any other parser failure: jsdom would meet the same input; let the
    // degraded path show it as text.
    return true;
  }
}

// ---------------------------------------------------------------- attributes

function onAttribute(node: Element, data: UponSanitizeAttributeHookEvent): void {
  const state = current;
  if (!state) return;
  if (hostLabels.has(node)) {
    data.forceKeepAttr = true;
    return;
  }
  const tag = node.nodeName.toLowerCase();
  const name = data.attrName;
  const value = data.attrValue;

  if (name === 'style') {
    const clean = cleanStyle(value);
    if (clean) data.attrValue = clean;
    else data.keepAttr = false;
    return;
  }
  // Set fresh in afterAttributes: the sender's target=_top must not survive (bad-inputs 56).
  if (name === 'target' || name === 'rel') {
    data.keepAttr = false;
    return;
  }
  if (name === 'href') {
    const href = tag === 'a' ? safeHref(value) : null;
    if (href === null) data.keepAttr = false;
    else data.attrValue = href;
    return;
  }
  if (name === 'src') {
    const src = tag === 'img' ? imageSrc(value, state) : null;
    if (src === null) data.keepAttr = false;
    else data.attrValue = src;
  }
}

/** Browsers ignore these inside URLs (WHATWG URL §4.4), so `java\tscript:` is `javascript:`. */
function compact(url: string): string {
  // eslint-disable-next-line no-control-regex
  return url.replace(/[\u0000-\u0020\u007f]/g, '');
}

function safeHref(value: string): string | null {
  const v = compact(value);
  if (/^mailto:/i.test(v)) return v;
  if (!/^https?:\/\//i.test(v)) return null;
  try {
    // The serialized URL carries the host in punycode, so the status bar and
    // our host label agree with where the link really goes (bad-inputs 57).
    return new URL(v).href;
  } catch {
    return null;
  }
}

function imageSrc(value: string, state: CallState): string | null {
  const v = compact(value);
  if (/^cid:/i.test(v)) {
    let cid = v.slice(4);
    try {
      // RFC 2392 §2: the cid URL is the Content-ID, percent-encoded.
      cid = decodeURIComponent(cid);
    } catch {
      // keep it as written
    }
    const url = state.opts.cidUrl(cid.replace(/^<|>$/g, ''));
    return url ? url : null;
  }
  if (/^(?:https?:)?\/\//i.test(v)) {
    if (state.opts.allowRemote) return safeHref(v.startsWith('//') ? 'https:' + v : v);
    state.remoteBlocked++;
    return null;
  }
  if (v.length <= MAX_DATA_URI && DATA_IMAGE.test(v)) return v;
  // Relative URLs would resolve against the app's own origin; javascript:,
  // data:text/html and friends are simply not images (bad-inputs 51).
  return null;
}

// A declaration with any of these could fetch, run script (old IE), or hide
// them behind indirection (bad-inputs 54). Escapes (`\75 rl(`) could spell
// any of them, so a backslash also disqualifies.
const CSS_BANNED =
  /url\(|image\(|image-set\(|cross-fade\(|src\(|expression|behavior|binding|@import|javascript:|vbscript:|var\(|env\(|attr\(|\\|[<>]/i;

/** Inline style with every risky declaration dropped; '' when nothing is left. */
export function cleanStyle(css: string): string {
  const kept: string[] = [];
  const noComments = css.replace(/\/\*[\s\S]*?(?:\*\/|$)/g, ' ');
  for (const decl of noComments.split(';')) {
    const colon = decl.indexOf(':');
    if (colon < 0) continue;
    const prop = decl.slice(0, colon).trim().toLowerCase();
    const val = decl.slice(colon + 1).trim();
    // Custom properties (--x) feed var(); vendor prefixes are fine.
    if (!/^-?[a-z][a-z0-9-]*$/.test(prop) || !val) continue;
    if (CSS_BANNED.test(val) || CSS_BANNED.test(prop)) continue;
    if ((val.split('"').length - 1) % 2 || (val.split("'").length - 1) % 2) continue;
    // Fixed/absolute boxes can cover the whole frame with a fake UI.
    if (prop === 'position' && !/^(?:static|relative)(?:\s*!important)?$/i.test(val)) continue;
    kept.push(`${prop}:${val}`);
  }
  return kept.join(';');
}

// ---------------------------------------------------------------- links

/** The spans we add; only these may carry our class. */
const hostLabels = new WeakSet<Node>();

function afterAttributes(node: Element): void {
  if (!current || node.nodeName.toLowerCase() !== 'a') return;
  const href = node.getAttribute('href');
  if (!href) return;
  // A new browsing context, no opener and no Referer: the message page URL
  // (inbox name, message id) never reaches the sender (bad-inputs 57).
  node.setAttribute('rel', 'noopener noreferrer');
  node.setAttribute('target', '_blank');
  const host = linkHost(href);
  if (!host) return;
  node.setAttribute('title', host);
  if (misleading(node.textContent ?? '', host)) {
    const doc = node.ownerDocument;
    const label = doc.createElement('span');
    label.setAttribute('class', 'mailroom-link-host');
    label.setAttribute('style', 'font-size:smaller;color:#b00020');
    label.textContent = ` [${host}]`;
    hostLabels.add(label);
    // Inserted as the next sibling, so DOMPurify's iterator walks it like any other node.
    node.parentNode?.insertBefore(label, node.nextSibling);
  }
}

const LOOKS_LIKE_HOST = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^\s/?#@:]+\.[^\s/?#@:.]{2,}\.?(?::\d+)?(?:[/?#]\S*)?$/i;

/**
 * True when the visible text names a host other than the real one, or the
 * real host is an IDN (homoglyph risk) that the text does not spell out.
 */
function misleading(text: string, host: string): boolean {
  const t = text.replace(/\s+/g, ' ').trim();
  const idn = host.split('.').some((label) => label.startsWith('xn--'));
  if (!LOOKS_LIKE_HOST.test(t)) return idn;
  const shown = linkHost(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `http://${t}`);
  const norm = (h: string) => h.toLowerCase().replace(/\.$/, '').replace(/^www\./, '');
  if (!shown) return true;
  if (norm(shown) !== norm(host)) return true;
  return idn && shown !== t.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#:]/)[0];
}
