import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JSDOM } from 'jsdom';
import { escapeHtml, textToSafeHtml, findUrls } from '../../src/mail/text.js';

const body = (html: string) => new JSDOM(`<!doctype html><body><pre>${html}</pre></body>`).window.document.body;

test('escapeHtml escapes the five characters that matter in content and attributes', () => {
  assert.is(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  assert.is(escapeHtml('plain'), 'plain');
  assert.is(escapeHtml('nul\u0000here'), 'nul\uFFFDhere');
});

test('bad-input 59: a URL followed by markup does not break out of the href', () => {
  const out = textToSafeHtml('https://x/"><script>alert(1)</script>');
  const b = body(out);
  assert.is(b.querySelectorAll('script').length, 0);
  const links = b.querySelectorAll('a');
  assert.is(links.length, 1);
  assert.is(links[0]!.getAttribute('href'), 'https://x/');
  assert.is(b.textContent, 'https://x/"><script>alert(1)</script>', 'the text reads exactly as sent');
  for (const el of Array.from(b.querySelectorAll('*'))) {
    for (const attr of Array.from(el.attributes)) assert.not.ok(attr.name.startsWith('on'));
  }
});

test('bad-input 59: quotes and angle brackets inside a URL never reach the attribute unescaped', () => {
  const out = textToSafeHtml(`https://x.example/a'onmouseover='alert(1) and https://y.example/?q=<b>`);
  const b = body(out);
  const hrefs = Array.from(b.querySelectorAll('a')).map((a) => a.getAttribute('href'));
  assert.equal(hrefs, [`https://x.example/a'onmouseover='alert(1)`, 'https://y.example/?q=']);
  assert.is(b.querySelectorAll('[onmouseover]').length, 0);
  assert.is(b.querySelectorAll('b').length, 0);
});

test('links get rel=noopener noreferrer and target=_blank; only http(s) are linked', () => {
  const b = body(textToSafeHtml('go to https://a.example/x or javascript:alert(1) or ftp://f.example/ or www.w.example'));
  const links = Array.from(b.querySelectorAll('a'));
  assert.is(links.length, 1);
  assert.is(links[0]!.getAttribute('rel'), 'noopener noreferrer');
  assert.is(links[0]!.getAttribute('target'), '_blank');
});

test('trailing punctuation and unbalanced brackets stay outside the link', () => {
  assert.equal(findUrls('See https://a.example/x. Or (https://b.example/y), https://en.wikipedia.org/wiki/Foo_(bar)!'), [
    'https://a.example/x',
    'https://b.example/y',
    'https://en.wikipedia.org/wiki/Foo_(bar)',
  ]);
  assert.equal(findUrls('https:// nothing, http://'), []);
  assert.equal(findUrls('xhttps://glued.example/'), [], 'not inside another word');
});

test('newlines and spacing are preserved, & is escaped inside hrefs', () => {
  const out = textToSafeHtml('line 1\n  line 2\r\nhttps://q.example/?a=1&b=2');
  assert.ok(out.startsWith('line 1\n  line 2\r\n'));
  assert.ok(out.includes('href="https://q.example/?a=1&amp;b=2"'));
  assert.is(body(out).querySelector('a')!.getAttribute('href'), 'https://q.example/?a=1&b=2');
});

test('bad-input 50: a 10 MB single line is escaped and linkified in bounded time', () => {
  const line = '<'.repeat(5 * 1024 * 1024) + 'https://z.example/' + 'a'.repeat(5 * 1024 * 1024);
  const out = textToSafeHtml(line);
  assert.not.ok(out.includes('<<'));
  assert.not.ok(out.includes('<a '), 'a 5 MB URL is not turned into a link');
  assert.ok(out.startsWith('&lt;&lt;'));
});

test('bad-input 58: header text with HTML is escaped', () => {
  const b = body(escapeHtml('<img src=x onerror=alert(1)> "Support" <evil@x>'));
  assert.is(b.querySelectorAll('img').length, 0);
  assert.is(b.textContent, '<img src=x onerror=alert(1)> "Support" <evil@x>');
});

test.run();
