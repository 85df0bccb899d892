import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
import { sanitizeHtml, linkHost, cleanStyle } from '../../src/mail/sanitize.js';
import { parseMessage } from '../../src/mail/parse.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const CID_ROUTE = '/m/1/cid/';
const blocked = { cidUrl: (cid: string) => (cid === 'logo@x' ? CID_ROUTE + encodeURIComponent(cid) : null), allowRemote: false };
const allowed = { ...blocked, allowRemote: true };

const FORBIDDEN_ELEMENTS = [
  'script', 'style', 'svg', 'math', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet',
  'form', 'input', 'button', 'select', 'textarea', 'base', 'meta', 'link', 'video', 'audio',
  'picture', 'source', 'noscript', 'template', 'animate', 'set', 'feimage', 'mglyph', 'mtext',
];
const FETCHING_ATTRS = ['srcset', 'background', 'poster', 'lowsrc', 'dynsrc', 'action', 'formaction', 'xlink:href', 'ping', 'longdesc'];

function dom(html: string): Document {
  return new JSDOM(`<!doctype html><body>${html}</body>`).window.document;
}

/** Fails on anything in the sanitized output that could execute, navigate or fetch. */
function assertSafe(html: string, opts: { remoteOk?: boolean } = {}): Document {
  const doc = dom(html);
  for (const el of Array.from(doc.body.querySelectorAll('*'))) {
    const tag = el.tagName.toLowerCase();
    assert.not.ok(FORBIDDEN_ELEMENTS.includes(tag), `forbidden element <${tag}> survived: ${html}`);
    assert.is(el.namespaceURI, 'http://www.w3.org/1999/xhtml', `foreign-namespace element <${tag}>`);
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      assert.not.ok(name.startsWith('on'), `event handler ${name} survived`);
      assert.not.ok(FETCHING_ATTRS.includes(name), `fetching attribute ${name} survived`);
      if (name === 'href') assert.match(attr.value, /^(?:https?:\/\/|mailto:)/i, `unsafe href ${attr.value}`);
      if (name === 'src') {
        const ok =
          attr.value.startsWith(CID_ROUTE) ||
          /^data:image\/(?:png|gif|jpeg|webp);base64,/i.test(attr.value) ||
          (opts.remoteOk === true && /^https?:\/\//i.test(attr.value));
        assert.ok(ok, `unexpected src ${attr.value}`);
      }
      if (name === 'style') {
        assert.not.match(attr.value, /url\(|@import|expression|image-set|var\(|\\/i, `risky css ${attr.value}`);
        assert.not.match(attr.value, /position\s*:\s*(?:fixed|absolute|sticky)/i, `overlay css ${attr.value}`);
      }
      if (name === 'target') assert.is(attr.value, '_blank');
    }
    if (tag === 'a' && el.hasAttribute('href')) {
      assert.is(el.getAttribute('rel'), 'noopener noreferrer');
      assert.is(el.getAttribute('target'), '_blank');
    }
  }
  return doc;
}

test('hostile.eml: nothing executes, navigates or fetches; the tracker is counted', async () => {
  const m = await parseMessage(fixture('hostile.eml'));
  const out = sanitizeHtml(m.html, blocked);
  const doc = assertSafe(out.html);
  assert.is(out.remoteBlocked, 1);
  assert.not.ok(out.html.includes('tracker.example'), 'no tracker URL of any kind remains');
  assert.not.ok(out.html.includes('attacker.example/phish'), 'meta refresh gone');
  assert.ok(doc.body.textContent!.includes('Dear customer'), 'ordinary text kept');
  const overlay = Array.from(doc.querySelectorAll('div')).find((d) => d.textContent === 'overlay');
  assert.ok(overlay, 'the overlay div is kept as content');
  assert.is(overlay!.getAttribute('style'), 'top:0;left:0;color:red');
});

test('hostile.eml with remote content allowed keeps only the http image', async () => {
  const m = await parseMessage(fixture('hostile.eml'));
  const out = sanitizeHtml(m.html, allowed);
  const doc = assertSafe(out.html, { remoteOk: true });
  assert.is(out.remoteBlocked, 0);
  const srcs = Array.from(doc.querySelectorAll('img[src]')).map((i) => i.getAttribute('src'));
  assert.equal(srcs, ['http://tracker.example/p.gif']);
  assert.not.ok(out.html.includes('bg.png'), 'CSS background stays blocked even when images are allowed');
});

test('inline-cid-image.eml: cid rewritten through cidUrl, unknown cid removed', async () => {
  const m = await parseMessage(fixture('inline-cid-image.eml'));
  const seen: string[] = [];
  const out = sanitizeHtml(m.html, { ...blocked, cidUrl: (cid) => (seen.push(cid), blocked.cidUrl(cid)) });
  const doc = assertSafe(out.html);
  assert.equal(seen, ['logo@x', 'missing@x']);
  const imgs = Array.from(doc.querySelectorAll('img'));
  assert.is(imgs.length, 2);
  assert.is(imgs[0]!.getAttribute('src'), '/m/1/cid/logo%40x');
  assert.is(imgs[1]!.hasAttribute('src'), false);
  assert.is(out.remoteBlocked, 0);
});

test('multipart-alternative.eml: ordinary markup and links survive', async () => {
  const m = await parseMessage(fixture('multipart-alternative.eml'));
  const doc = assertSafe(sanitizeHtml(m.html, blocked).html);
  const a = doc.querySelector('a')!;
  assert.is(a.getAttribute('href'), 'https://shop.example/track?id=1042&ref=mail');
  assert.is(a.getAttribute('title'), 'shop.example');
  assert.is(doc.querySelectorAll('.mailroom-link-host').length, 0, 'no host label for honest links');
  assert.is(doc.querySelector('td')!.getAttribute('bgcolor'), '#eeeeee');
  assert.ok(doc.querySelector('b'));
});

test('bad-input 51: script, svg onload, img onerror, javascript: and data:text/html hrefs', () => {
  const html = `<script>alert(1)</script><svg onload="alert(1)"></svg><img src=x onerror="alert(1)">
    <a href="javascript:alert(1)">a</a><a href=" JaVaScRiPt:alert(1)">b</a><a href="java&#x09;script:alert(1)">c</a>
    <a href="data:text/html,<script>alert(1)</script>">d</a><a href="vbscript:x">e</a><iframe srcdoc="<script>alert(1)</script>"></iframe>`;
  const out = sanitizeHtml(html, blocked);
  const doc = assertSafe(out.html);
  assert.is(doc.querySelectorAll('a[href]').length, 0);
  assert.not.ok(out.html.includes('alert'), out.html);
});

test('bad-input 52: mXSS noscript payload does not produce an onerror attribute', () => {
  const payloads = [
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<form><math><mtext></form><form><mglyph><svg><mtext><style><path id="</style><img onerror=alert(1) src>">',
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<math><mi><table><mi><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img src=1 onerror=alert(1)&gt;">',
  ];
  for (const p of payloads) {
    const first = sanitizeHtml(p, blocked).html;
    assertSafe(first);
    // The output must also be stable when parsed again (the mXSS test proper).
    const again = dom(first).body.innerHTML;
    assertSafe(again);
    assert.not.match(again, /onerror/i, p);
  }
});

test('bad-input 53: SVG animate/set/feImage are stripped entirely', () => {
  const out = sanitizeHtml(
    '<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text>x</text></a><set attributeName="href" to="javascript:alert(1)"/><filter><feImage href="http://t/x"/></filter></svg>',
    blocked,
  );
  const doc = assertSafe(out.html);
  assert.is(doc.body.querySelectorAll('*').length, 0);
  assert.not.ok(/javascript|http:/.test(out.html));
});

test('bad-input 54: CSS @import, url(), var(), attribute-selector exfiltration, position:fixed', () => {
  const sheet = sanitizeHtml('<style>@import url(http://t/i.css); input[value^=a]{background:url(http://t/a)} :root{--x:url(http://t/v)}</style><p>k</p>', blocked);
  assertSafe(sheet.html);
  assert.is(sheet.html, '<p>k</p>', 'style elements are dropped with their content');

  const div = sanitizeHtml('<div style="background:url(//tracker/x); color: blue; --y: url(http://t/y); position: fixed; top:0; width:100%; height:100%; z-index:99">o</div>', blocked);
  assertSafe(div.html);
  assert.is(dom(div.html).querySelector('div')!.getAttribute('style'), 'color:blue;top:0;width:100%;height:100%;z-index:99');

  const tricks = sanitizeHtml(`<p style="background: ur\\6c(http://t/e); behavior: url(x.htc); width: expression(alert(1)); list-style: image-set('http://t/s' 1x); color: var(--y)">q</p>`, blocked);
  assertSafe(tricks.html);
  assert.is(dom(tricks.html).querySelector('p')!.hasAttribute('style'), false, tricks.html);
  assert.not.ok(tricks.html.includes('http://t/'));

  const span = sanitizeHtml('<span style="position: absolute !important; position: relative">r</span>', blocked);
  assert.is(dom(span.html).querySelector('span')!.getAttribute('style'), 'position:relative');
  assert.is(cleanStyle('color:red;/* url( */background:/**/url(x)'), 'color:red');
});

test('bad-input 55: tracking pixels via img, srcset, picture/source, body background, video poster, link prefetch', () => {
  const html = `<body background="http://t/body.gif"><img src="http://t/1.gif"><img src="//t/2.gif"><img src="HTTPS://t/3.gif">
    <img srcset="http://t/4.gif 1x" alt="s"><picture><source srcset="http://t/5.gif"><img src="http://t/6.gif"></picture>
    <video poster="http://t/7.gif"></video><link rel="prefetch" href="http://t/8"><table background="http://t/9.gif"><tr><td background="http://t/10.gif">x</td></tr></table>
    <input type="image" src="http://t/11.gif"><img src="relative.gif"><img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">`;
  const out = sanitizeHtml(html, blocked);
  assertSafe(out.html);
  assert.not.ok(out.html.includes('t/'), out.html);
  assert.is(out.remoteBlocked, 4, 'the four http(s) img srcs are what "show remote images" would reveal');
});

test('bad-input 55: data: images only for raster types and capped in size', () => {
  const small = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
  const huge = 'data:image/png;base64,' + 'A'.repeat(300 * 1024);
  const out = sanitizeHtml(`<img src="${small}"><img src="${huge}"><img src="data:text/html;base64,PHNjcmlwdD4=">`, blocked);
  const doc = assertSafe(out.html);
  const srcs = Array.from(doc.querySelectorAll('img')).map((i) => i.getAttribute('src'));
  assert.equal(srcs, [small, null, null]);
});

test('bad-input 56: meta refresh, base href, form action, target=_top', () => {
  const html = `<meta http-equiv="refresh" content="0;url=http://evil/"><base href="http://evil/"><form action="http://evil/s"><input name=q><button formaction="http://evil/f">go</button></form>
    <a href="https://ok.example/" target="_top">top</a><a href="/relative">rel</a>`;
  const out = sanitizeHtml(html, blocked);
  const doc = assertSafe(out.html);
  assert.not.ok(out.html.includes('evil'), out.html);
  const as = Array.from(doc.querySelectorAll('a'));
  assert.is(as[0]!.getAttribute('target'), '_blank');
  assert.is(as[1]!.hasAttribute('href'), false, 'relative links would resolve against the app');
});

test('bad-input 57: link text naming another host shows the real host; IDN shows as punycode', () => {
  const html = `<a href="https://attacker.example/x">https://bank.example/login</a>
    <a href="https://xn--pypal-4ve.com/">PayPal</a>
    <a href="https://www.bank.example/">bank.example</a>
    <a href="https://pаypal.com/">https://pаypal.com/</a>`;
  const doc = assertSafe(sanitizeHtml(html, blocked).html);
  const labels = Array.from(doc.querySelectorAll('span.mailroom-link-host')).map((s) => s.textContent);
  assert.equal(labels, [' [attacker.example]', ' [xn--pypal-4ve.com]', ' [xn--pypal-4ve.com]']);
  const as = Array.from(doc.querySelectorAll('a'));
  assert.is(as[3]!.getAttribute('href'), 'https://xn--pypal-4ve.com/', 'href serialized with the ASCII host');
  assert.is(as[2]!.getAttribute('title'), 'www.bank.example');
  for (const a of as) assert.is(a.getAttribute('rel'), 'noopener noreferrer');
});

test('bad-input 57: a sender cannot fake the host label class', () => {
  const doc = assertSafe(sanitizeHtml('<span class="mailroom-link-host">[bank.example]</span>', blocked).html);
  assert.is(doc.querySelectorAll('.mailroom-link-host').length, 0);
});

test('linkHost: ASCII host for http(s), domain for mailto, empty otherwise', () => {
  assert.is(linkHost('https://Bücher.example/x'), 'xn--bcher-kva.example');
  assert.is(linkHost('http://user:pw@evil.example:8080/'), 'evil.example');
  assert.is(linkHost('mailto:someone@Bücher.example?subject=x'), 'xn--bcher-kva.example');
  assert.is(linkHost('javascript:alert(1)'), '');
  assert.is(linkHost('not a url'), '');
});

test('bad-input 50: 200 000-deep nesting and oversized HTML degrade to escaped source quickly', () => {
  const deep = '<div>'.repeat(200_000) + '<img src=x onerror=alert(1)>';
  let out = sanitizeHtml(deep, blocked);
  assert.ok(out.html.startsWith('<pre>'));
  assert.not.ok(out.html.includes('<div>') || out.html.includes('<img'));
  assert.ok(out.html.length < 1024 * 1024, 'only a prefix is shown');

  const big = '<p>' + 'x'.repeat(3 * 1024 * 1024) + '<script>alert(1)</script>';
  out = sanitizeHtml(big, blocked);
  assert.ok(out.html.startsWith('<pre>'));
  assertSafe(out.html);

  const line = 'y'.repeat(10 * 1024 * 1024);
  out = sanitizeHtml(line, blocked);
  assert.ok(out.html.startsWith('<pre>'));
});

test('bad-input 50: Outlook styles that crash jsdom 29 lose their styles, not the message', () => {
  const out = sanitizeHtml('<div style="background:url(a.png)no-repeat;color:red">hello <b>there</b></div><img src="x" onerror="alert(1)" style="a:b">', blocked);
  const doc = assertSafe(out.html);
  assert.is(doc.querySelector('div')!.textContent, 'hello there');
  assert.is(doc.querySelectorAll('[style]').length, 0);
});

test('bad-input 50: shapes that are quadratic in jsdom/parse5 are refused or bounded, and stay safe', () => {
  const shapes = [
    '<a '.repeat(200_000),
    '<a ' + Array.from({ length: 5000 }, (_, i) => `a${i}=1`).join(' ') + '>x</a>',
    '<!-- -->'.repeat(20_000) + '<img src=x onerror=alert(1)>',
    '<x>a</x>'.repeat(4900) + '<img src=x onerror=alert(1)>',
    '< '.repeat(20_000),
  ];
  for (const h of shapes) {
    const out = sanitizeHtml(h, blocked);
    assertSafe(out.html);
    assert.not.match(out.html, /<(?:x|img[^>]*onerror)/i);
  }
});

test('the message\'s own <body> attributes never reach the output', () => {
  const out = sanitizeHtml('<body background="http://t/x" onload="alert(1)" bgcolor="red"><p>x</p><body onload=alert(2)>', blocked);
  assert.is(out.html, '<p>x</p>');
});

test('per-call options and counters do not leak between calls', () => {
  const html = '<img src="http://t/a.gif"><img src="https://t/b.gif">';
  assert.is(sanitizeHtml(html, blocked).remoteBlocked, 2);
  const open = sanitizeHtml(html, allowed);
  assert.is(open.remoteBlocked, 0);
  assert.is(dom(open.html).querySelectorAll('img[src]').length, 2);
  const again = sanitizeHtml(html, blocked);
  assert.is(again.remoteBlocked, 2);
  assert.is(dom(again.html).querySelectorAll('img[src]').length, 0);
});

test.run();
