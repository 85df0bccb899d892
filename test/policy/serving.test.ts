// The one rule for serving a stranger's bytes (src/policy/serving.ts), used by
// both the pages and the API (issue 10 part 3).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { contentDisposition, downloadType, messageFrameCsp, servingHeaders, DOWNLOAD_CSP, BODY_CSP } from '../../src/policy/serving.js';

test('downloadType: harmless types kept (without parameters), renderable or malformed ones become octet-stream', () => {
  for (const [declared, served] of [
    ['application/pdf', 'application/pdf'],
    ['IMAGE/PNG; name="x.png"', 'image/png'],
    ['text/plain; charset=utf-8', 'text/plain'],
    ['text/csv', 'text/csv'],
    ['text/html', 'application/octet-stream'],
    ['application/xhtml+xml', 'application/octet-stream'],
    ['image/svg+xml', 'application/octet-stream'],
    ['text/css', 'application/octet-stream'],
    ['application/javascript', 'application/octet-stream'],
    ['text/xsl', 'application/octet-stream'],
    ['message/rfc822', 'application/octet-stream'],
    ['multipart/mixed', 'application/octet-stream'],
    ['text/richtext', 'application/octet-stream'],
    ['nonsense', 'application/octet-stream'],
    ['', 'application/octet-stream'],
  ]) {
    assert.is(downloadType(declared!), served, declared);
  }
});

test('contentDisposition: always attachment; filename* only when the name needs more than ASCII', () => {
  assert.is(contentDisposition('../r\u00e9sum\u00e9 "v2".pdf', 'attachment.bin'), `attachment; filename="resume _v2_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20_v2_.pdf`);
  assert.is(contentDisposition('', 'message.eml'), 'attachment; filename="message.eml"');
  assert.is(contentDisposition('report.pdf', 'x.bin'), 'attachment; filename="report.pdf"');
  assert.not.match(contentDisposition('..\\..\\evil\u202Egpj.exe', 'x.bin'), /[\\/]|\.\.|\u202E/);
});

test('attachment: downloaded, never rendered, whoever asks', () => {
  const h = servingHeaders({ kind: 'attachment', filename: 'page.html', contentType: 'text/html', fallbackName: 'a.bin' });
  assert.equal(h, {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': 'attachment; filename="page.html"',
    'Content-Security-Policy': DOWNLOAD_CSP,
    'X-Content-Type-Options': 'nosniff',
  });
});

test('inline image: a raster image is shown, anything else is a download', () => {
  const png = servingHeaders({ kind: 'inline-image', filename: 'logo.png', contentType: 'image/png', fallbackName: 'i.bin' });
  assert.is(png['Content-Type'], 'image/png');
  assert.is(png['Content-Disposition'], undefined);
  assert.is(png['Cross-Origin-Resource-Policy'], 'cross-origin');
  const svg = servingHeaders({ kind: 'inline-image', filename: 'x.svg', contentType: 'image/svg+xml', fallbackName: 'i.bin' });
  assert.is(svg['Content-Type'], 'application/octet-stream');
  assert.match(svg['Content-Disposition']!, /^attachment; filename="x.svg"/);
  assert.is(svg['Content-Security-Policy'], DOWNLOAD_CSP);
});

test('raw source: text/plain with nosniff; download adds the .eml name', () => {
  assert.equal(servingHeaders({ kind: 'raw', download: false, filename: 'id.eml' }), {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Security-Policy': DOWNLOAD_CSP,
    'X-Content-Type-Options': 'nosniff',
  });
  assert.is(servingHeaders({ kind: 'raw', download: true, filename: 'id.eml' })['Content-Disposition'], 'attachment; filename="id.eml"');
});

test('bodies rendered for the API carry the sandbox CSP', () => {
  const h = servingHeaders({ kind: 'body', contentType: 'text/html; charset=utf-8', download: false, filename: 'id.html' });
  assert.is(h['Content-Security-Policy'], BODY_CSP);
  assert.ok(BODY_CSP.startsWith('sandbox'));
  assert.is(h['Content-Disposition'], undefined);
});

test('message frame CSP: images only from the sources given', () => {
  const csp = messageFrameCsp(['data:', 'https://mail.example/inbox/a@b/1/cid/']);
  assert.match(csp, /^sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'/);
  assert.match(csp, /img-src data: https:\/\/mail\.example\/inbox\/a@b\/1\/cid\/;/);
  assert.match(csp, /frame-ancestors 'self'/);
});

test.run();
