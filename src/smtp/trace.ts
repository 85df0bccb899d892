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

export interface TraceFields {
  /** The EHLO/HELO name the client gave; '' leaves the from clause out (privacy.storeSenderIp off). */
  helo: string;
  /** The client's IP address; '' when privacy.storeSenderIp is off. */
  ip: string;
  /** Our host name (the `by` clause). */
  by: string;
  /** Negotiated TLS protocol (e.g. "TLSv1.3"), '' when the session was plain text. */
  tlsVersion: string;
  /** The TLS cipher name, shown beside the version when known. */
  cipher: string;
  /** Whether the client authenticated (SMTP AUTH, RFC 4954). */
  authenticated: boolean;
  /** Envelope recipients: named in the `for` clause only when there is exactly one (RFC 5321 §7.2). */
  recipients: string[];
  id: string;
  date: Date;
  /**
   * The `with` keyword when the message did not come over SMTP: 'HTTP' or
   * 'HTTPS' for POST /api/outgoing-messages (issue 12), as webmail systems
   * write it. Absent: ESMTP and its RFC 3848 variants from tlsVersion and
   * authenticated.
   */
  protocol?: string;
}

/** An address as an RFC 5321 §4.1.3 address literal: [192.0.2.1], [IPv6:2001:db8::1]. */
function addressLiteral(ip: string): string {
  const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4mapped) return `[${v4mapped[1]}]`;
  return ip.includes(':') ? `[IPv6:${ip}]` : `[${ip}]`;
}

/**
 * The `with` protocol keyword: ESMTP, ESMTPS over TLS, ESMTPA authenticated,
 * ESMTPSA both (RFC 3848).
 */
export function withProtocol(tls: boolean, authenticated: boolean): string {
  return `ESMTP${tls ? 'S' : ''}${authenticated ? 'A' : ''}`;
}

/** RFC 5322 §3.3 date-time: "Tue, 01 Jul 2025 10:00:00 +0000". */
export function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** Keeps client-chosen text (the HELO name) from breaking the header: printable ASCII without parentheses or spaces. */
function clean(s: string, max = 255): string {
  return s.replace(/[^\x21-\x7e]|[()\\]/g, '').slice(0, max);
}

/**
 * The Received: trace field RFC 5321 §4.4 asks every receiving server to
 * prepend, folded at clause boundaries, ending in CRLF. The client's address
 * appears only when the operator keeps it (privacy.storeSenderIp); without it
 * the from clause is left out entirely rather than filled with something
 * invented (the HELO name identifies the host as much as the address does).
 */
export function receivedHeader(f: TraceFields): string {
  const lines: string[] = [];
  const helo = clean(f.helo);
  const ip = clean(f.ip, 64);
  // No HELO name (a client that did not speak SMTP): the address literal stands in for it (RFC 5321 Extended-Domain).
  if (helo || ip) lines.push(`from ${helo || addressLiteral(ip)}${ip ? ` ([${ip}])` : ''}`);
  const tls = f.tlsVersion ? ` (${clean(f.tlsVersion, 32)}${f.cipher ? `:${clean(f.cipher, 100)}` : ''})` : '';
  const protocol = f.protocol ? clean(f.protocol, 16) : withProtocol(Boolean(f.tlsVersion), f.authenticated);
  lines.push(`by ${clean(f.by)} with ${protocol}${tls} id ${clean(f.id, 64)}`);
  if (f.recipients.length === 1) lines.push(`for <${f.recipients[0].replace(/[\x00-\x20<>]/g, '')}>`);
  lines[lines.length - 1] += `; ${rfc5322Date(f.date)}`;
  return `Received: ${lines.join('\r\n\t')}\r\n`;
}
