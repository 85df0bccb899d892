// The address of the client a request comes from: the TCP peer, or, when the
// peer is a reverse proxy the operator trusts (http.trustedProxies, issue 13),
// the client that proxy names in X-Forwarded-For. Throttles, rate limits and
// the audit log all ask here, so they agree on who "the client" is.
//
// X-Forwarded-For is read from the right, as RFC 7239 section 5.2 describes
// for Forwarded's for= list: every proxy appends the address it received the
// request from, so the rightmost entries are the ones our own proxies wrote
// and anything to the left of the first untrusted hop may be forged by the
// client. The answer is the rightmost hop that is not a trusted proxy. An
// untrusted peer's header is ignored entirely: without trustedProxies nobody
// can choose their own throttle bucket by sending the header.
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/** An entry of http.trustedProxies: an address or a CIDR range, IPv4 or IPv6. Null when malformed. */
export function parseProxyEntry(entry: string): Range | null {
  const s = entry.trim();
  try {
    if (s.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(s);
      // An IPv4-mapped IPv6 range (::ffff:10.0.0.0/104) means the IPv4 range.
      if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
        return [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96];
      }
      return [addr, bits];
    }
    const addr = ipaddr.process(s);
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

const parsedLists = new WeakMap<readonly string[], Range[]>();

function rangesOf(trusted: readonly string[]): Range[] {
  let r = parsedLists.get(trusted);
  if (!r) {
    r = trusted.map(parseProxyEntry).filter((x): x is Range => x !== null);
    parsedLists.set(trusted, r);
  }
  return r;
}

/** One address as a peer or a header hop writes it: IPv4-mapped IPv6 becomes IPv4; "[v6]:port" and "v4:port" lose the port. */
export function parseHop(raw: string): Address | null {
  let s = raw.trim().replace(/^"(.*)"$/, '$1');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed) s = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  // Zone ids (fe80::1%eth0) are local to the proxy's host; drop them.
  s = s.replace(/%.*$/, '');
  if (!ipaddr.IPv4.isValidFourPartDecimal(s) && !ipaddr.IPv6.isValid(s)) return null;
  try {
    return ipaddr.process(s);
  } catch {
    return null;
  }
}

function isTrusted(addr: Address, ranges: Range[]): boolean {
  return ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net as never, bits));
}

/**
 * The client address of a request ('' when the socket has none, e.g. in
 * app.request() tests). `trusted` is config.http.trustedProxies.
 */
export function clientIp(c: Context, trusted: readonly string[]): string {
  let peerText: string | undefined;
  try {
    peerText = getConnInfo(c).remote.address;
  } catch {
    return '';
  }
  if (!peerText) return '';
  const peer = parseHop(peerText);
  if (!peer) return peerText;
  const ranges = rangesOf(trusted);
  if (ranges.length === 0 || !isTrusted(peer, ranges)) return peer.toString();
  // Every X-Forwarded-For line, in order, as one list (RFC 9110 5.3).
  const hops = (c.req.raw.headers.get('x-forwarded-for') ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  let current: Address = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseHop(hops[i]!);
    // A hop that is not an address cannot be followed further: the last
    // address we could vouch for (a trusted proxy) is the best answer.
    if (!hop) break;
    current = hop;
    if (!isTrusted(hop, ranges)) break;
  }
  return current.toString();
}
