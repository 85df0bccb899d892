// URLs the UI builds. Every piece that came from a message or a visitor is
// percent-encoded here, so a path segment can never become two (bad-input 60)
// and the same string is safe inside a CSP source expression (no `;`, `,`,
// quotes or spaces survive encoding).

/** Percent-encodes all but unreserved characters and `@`, which stays readable as on Mailsac's site. */
export function segment(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (ch) => '%' + ch.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%40/g, '@');
}

export function inboxPath(inbox: string): string {
  return `/inbox/${segment(inbox)}`;
}

export function messagePath(inbox: string, id: string): string {
  return `${inboxPath(inbox)}/${segment(id)}`;
}

/** Prefix every cid image of one message is served under; the html route's CSP allows exactly this. */
export function cidPrefix(inbox: string, id: string): string {
  return `${messagePath(inbox, id)}/cid/`;
}

export function cidPath(inbox: string, id: string, cid: string): string {
  return cidPrefix(inbox, id) + segment(cid);
}

export function attachmentPath(inbox: string, id: string, idx: number): string {
  return `${messagePath(inbox, id)}/attachments/${idx}`;
}

/** Opaque keyset cursor for the inbox list: `<received>.<seq>`, both non-negative integers. */
export function encodeCursor(received: number, seq: number): string {
  return `${received}.${seq}`;
}

export function decodeCursor(s: string | undefined): { received: number; seq: number } | null {
  if (!s) return null;
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(s);
  if (!m) return null;
  const received = Number(m[1]);
  const seq = Number(m[2]);
  if (!Number.isSafeInteger(received) || !Number.isSafeInteger(seq)) return null;
  return { received, seq };
}

/** Message ids are opaque base64url tokens (store/ids.ts); anything else is not worth a lookup. */
export function plausibleId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}
