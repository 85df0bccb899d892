import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { safeFilename } from '../../src/mail/filename.js';

const FALLBACK = 'attachment.bin';

/** The properties every produced name must have, whatever the input. */
function assertSafe(name: string) {
  const { ascii, utf8Star } = safeFilename(name, FALLBACK);
  assert.match(ascii, /^[\x20-\x7e]+$/, `ascii is printable ASCII: ${JSON.stringify(ascii)}`);
  assert.not.match(ascii, /["\\%/:*?<>|]/, 'nothing that breaks the quoted-string or names a path');
  assert.not.ok(ascii.includes('..'));
  assert.not.match(ascii, /^[.\s]|[.\s]$/);
  assert.ok(utf8Star.startsWith("UTF-8''"));
  assert.match(utf8Star.slice(7), /^[A-Za-z0-9!#$&+\-.^_`|~%]+$/, 'only RFC 8187 attr-char and %XX');
  const decoded = decodeURIComponent(utf8Star.slice(7));
  assert.not.match(decoded, /[/\\\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/, 'decoded form has no separators, controls or bidi');
  assert.not.ok(decoded.includes('..'));
  assert.ok(Array.from(decoded).length <= 100);
  return { ascii, decoded };
}

test('bad-input 43: ../../etc/passwd and ..\\..\\x are not paths', () => {
  assert.equal(assertSafe('../../etc/passwd'), { ascii: 'etc_passwd', decoded: 'etc_passwd' });
  assert.is(assertSafe('..\\..\\x').ascii, 'x');
  assert.is(assertSafe('/etc/shadow').ascii, 'etc_shadow');
  assert.is(assertSafe('C:\\Windows\\evil.dll').ascii, 'C_Windows_evil.dll');
});

test('bad-input 43: Windows device names are defused', () => {
  for (const n of ['CON', 'con.txt', 'NUL', 'Com1.log', 'LPT9', 'aux.tar.gz']) {
    const { ascii } = assertSafe(n);
    assert.ok(ascii.startsWith('_'), `${n} -> ${ascii}`);
  }
  assert.is(assertSafe('console.txt').ascii, 'console.txt', 'only exact device names');
});

test('bad-input 43: 300 characters are cut to 100, keeping the extension', () => {
  const { ascii, decoded } = assertSafe('a'.repeat(296) + '.pdf');
  assert.is(ascii.length, 100);
  assert.ok(ascii.endsWith('.pdf'));
  assert.ok(decoded.endsWith('.pdf'));
  const cjk = assertSafe('字'.repeat(300) + '.docx');
  assert.ok(cjk.decoded.endsWith('.docx'));
  assert.is(Array.from(cjk.decoded).length, 100);
});

test('bad-input 43: RTL override and NUL are removed', () => {
  const rtlo = assertSafe('invoice\u202Efdp.exe');
  assert.is(rtlo.decoded, 'invoicefdp.exe', 'the real extension is visible');
  assert.is(assertSafe('a\u0000b.txt').ascii, 'ab.txt');
  assert.is(assertSafe('x\u2066y\u2069.txt').decoded, 'xy.txt');
});

test('non-ASCII names: accents folded in ascii, exact in filename*', () => {
  const r = safeFilename('Résumé final.pdf', FALLBACK);
  assert.is(r.ascii, 'Resume final.pdf');
  assert.is(r.utf8Star, "UTF-8''R%C3%A9sum%C3%A9%20final.pdf");
  const jp = safeFilename('請求書.pdf', FALLBACK);
  assert.is(jp.ascii, 'attachment.pdf', 'fallback stem, real extension');
  assert.is(decodeURIComponent(jp.utf8Star.slice(7)), '請求書.pdf');
  assert.is(safeFilename("it's (1)*.txt", FALLBACK).utf8Star, "UTF-8''it%27s%20%281%29_.txt");
});

test('empty or all-junk names use the fallback', () => {
  for (const n of ['', '...', '/', '\u202E', '  ']) assert.is(assertSafe(n).ascii, FALLBACK);
  assert.is(safeFilename('', '').ascii, 'attachment');
  assert.is(assertSafe('a\ud800b').decoded, 'a\uFFFDb', 'lone surrogate does not throw');
});

test.run();
