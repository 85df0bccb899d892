// Attachment names are chosen by the sender. They are only ever a suggestion
// shown in Content-Disposition (RFC 6266); storage uses opaque ids. Still, the
// browser will save under this name, so it must not be a path, a device name,
// or text that displays differently from what it is (bad-inputs 43).

const MAX_LENGTH = 100;
const MAX_EXTENSION = 16;

// C0, DEL and C1 controls; bidi embeddings, overrides and isolates
// (U+202A-U+202E, U+2066-U+2069, the "RTLO" of `invoice\u202Efdp.exe`);
// implicit marks, and invisible characters that hide the real extension.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;
// Reserved in Windows file names (and `/`, `\` separate paths everywhere).
const RESERVED_CHARS = /[/\\:*?"<>|]/g;
// Windows device names, with any extension (`CON.txt` is still the console).
const DEVICE = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)(?:\.|$)/i;

function wellFormed(s: string): string {
  // Lone surrogates cannot be percent-encoded (encodeURIComponent throws).
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\uFFFD');
}

/** Shortens to `max` code points, keeping a short extension. */
function truncate(name: string, max: number): string {
  const chars = Array.from(name);
  if (chars.length <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? Array.from(name.slice(dot)) : [];
  if (ext.length > 1 && ext.length <= MAX_EXTENSION) {
    const stem = Array.from(name.slice(0, dot)).slice(0, max - ext.length);
    return stem.join('').replace(/[ .]+$/, '') + ext.join('');
  }
  return chars.slice(0, max).join('');
}

function clean(name: string): string {
  let s = wellFormed(String(name ?? '')).normalize('NFC');
  s = s.replace(INVISIBLE, '');
  s = s.replace(RESERVED_CHARS, '_');
  // `..` never survives, not even inside a name, so no later join can walk up.
  s = s.replace(/\.{2,}/g, '.');
  s = s.replace(/\s+/g, ' ');
  // Leading dots hide files on Unix; trailing dots and spaces are dropped by Windows,
  // which turns `x.exe.` into `x.exe`.
  s = s.replace(/^[\s._]+/, '').replace(/[\s.]+$/, '');
  s = truncate(s, MAX_LENGTH).replace(/[ .]+$/, '');
  if (DEVICE.test(s)) s = '_' + s;
  return s;
}

/** An ASCII rendering: accents dropped, everything else non-printable or quote-breaking as `_`. */
function toAscii(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    // `%` too: some browsers percent-decode the plain filename parameter.
    .replace(/[^\x20-\x7e]|[%"\\]/g, '_')
    .replace(/_{2,}/g, '_');
  return s;
}

/** RFC 8187 (was RFC 5987) ext-value: UTF-8, every byte outside attr-char percent-encoded. */
function rfc8187(name: string): string {
  return (
    "UTF-8''" +
    encodeURIComponent(name).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
  );
}

/**
 * A download name safe on every OS, in the two forms RFC 6266 §4.3 asks for:
 * `ascii` for the quoted `filename` parameter and `utf8Star` for `filename*`.
 * `fallback` (for example "attachment.bin") is used when nothing is left.
 */
export function safeFilename(name: string, fallback: string): { ascii: string; utf8Star: string } {
  let safe = clean(name);
  if (!safe.replace(/[_\s.]/g, '')) safe = clean(fallback);
  if (!safe.replace(/[_\s.]/g, '')) safe = 'attachment';
  const full = toAscii(safe);
  const ext = /\.[A-Za-z0-9]{1,16}$/.exec(full)?.[0] ?? '';
  let ascii = full.replace(/^[\s._]+/, '');
  // A name in a non-Latin script has no ASCII stem left: use the fallback,
  // keeping the real extension so the download still opens in the right app.
  if (!full.slice(0, full.length - ext.length).replace(/[_\s.]/g, '')) {
    const fb = toAscii(clean(fallback)).replace(/^[\s._]+/, '') || 'attachment';
    ascii = ext ? fb.replace(/\.[A-Za-z0-9]{1,16}$/, '') + ext : fb;
  }
  if (DEVICE.test(ascii)) ascii = '_' + ascii;
  return { ascii, utf8Star: rfc8187(safe) };
}
