// Trace-header checks on the raw message, without parsing it.

/** Where the header section ends: the first empty line (RFC 5322 2.1), or the whole message. */
export function headerSectionEnd(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf === -1) return lf === -1 ? raw.length : lf;
  return lf === -1 ? crlf : Math.min(crlf, lf);
}

/** Number of Received: header fields, the hop count RFC 5321 6.3 uses to detect loops. */
export function countReceivedHeaders(raw: Buffer): number {
  const head = raw.subarray(0, headerSectionEnd(raw)).toString('latin1');
  const m = head.match(/^received:/gim);
  return m ? m.length : 0;
}
