// Where a webhook may go (GUIDE "Showing mail from strangers"; issue 11): a
// user's URL must never become a way into the operator's network. The name
// is resolved once, every address it resolves to is checked, and the request
// then connects to the checked address itself, so a second lookup (DNS
// rebinding) cannot swap in another one. Only http/https, only the ports the
// operator allows; redirects are never followed (deliver.ts).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface TargetPolicy {
  /** webhooks.allowPrivateNetworks: loopback, RFC 1918, unique-local and CGNAT targets become allowed. */
  allowPrivateNetworks: boolean;
  /** webhooks.allowedPorts */
  allowedPorts: number[];
}

export interface CheckedTarget {
  url: URL;
  /** The address to connect to: checked, never looked up again. */
  address: string;
  family: 4 | 6;
  port: number;
  /** The name for Host and TLS SNI/certificate checks ('' for an IP literal). */
  hostname: string;
}

export class TargetRefused extends Error {}

/** Ranges a private-network operator may open; everything else non-unicast stays shut. */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);

/**
 * Why this address may not be a webhook target, or null when it may.
 * IPv4-mapped (::ffff:a.b.c.d) and the other IPv6 forms that embed an IPv4
 * address (NAT64, 6to4, Teredo) are refused unless the embedded IPv4 is
 * judged: mapped forms are judged as their IPv4 address, the tunnelling forms
 * are refused outright. Link-local (169.254.0.0/16 with the cloud metadata
 * service, fe80::/10), multicast, broadcast, unspecified and reserved ranges
 * are refused whatever the config says.
 */
export function addressRefusal(ip: string, allowPrivateNetworks: boolean): string | null {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip);
  } catch {
    return `not an IP address: ${ip}`;
  }
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const range = addr.range();
  if (range === 'unicast') return null;
  if (allowPrivateNetworks && PRIVATE_RANGES.has(range)) return null;
  return `${ip} is in a ${range} range`;
}

export function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Checks the URL's form alone (scheme, port, no credentials): used when the setting is saved and before each attempt. */
export function urlRefusal(raw: string, policy: TargetPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http and https URLs';
  if (url.username || url.password) return 'no credentials in the URL';
  const port = defaultPort(url);
  if (!policy.allowedPorts.includes(port)) return `port ${port} is not allowed (webhooks.allowedPorts: ${policy.allowedPorts.join(', ')})`;
  return null;
}

export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/** Resolves and checks; throws TargetRefused with the reason when the URL may not be called. */
export async function checkTarget(raw: string, policy: TargetPolicy, resolve: Resolver = systemResolver): Promise<CheckedTarget> {
  const why = urlRefusal(raw, policy);
  if (why) throw new TargetRefused(why);
  const url = new URL(raw);
  // WHATWG URL has already turned 2130706433, 0x7f.1 and friends into dotted
  // IPv4, and IPv6 literals keep their brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch (err) {
      throw new TargetRefused(`cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (!addresses.length) throw new TargetRefused(`${host} has no address`);
  }
  // Every address must pass: a name that also points inside is refused
  // rather than hoping the good address is the one used.
  for (const a of addresses) {
    const refusal = addressRefusal(a.address, policy.allowPrivateNetworks);
    if (refusal) throw new TargetRefused(isIP(host) ? refusal : `${host} resolves to ${refusal}`);
  }
  const chosen = addresses[0]!;
  return { url, address: chosen.address, family: chosen.family === 6 ? 6 : 4, port: defaultPort(url), hostname: isIP(host) ? '' : host };
}
