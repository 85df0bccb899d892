// Canonical inbox names. Two spellings of one address must never make two
// inboxes (bad-inputs 5, 29, 62): a public alias could otherwise reach a
// private inbox, or mail could scatter across look-alike inboxes.
import { domainToASCII } from 'node:url';
import type { Config } from '../config.js';

export interface CanonicalAddress {
  /** local@domain, lower case, NFC, tag removed, domain in ASCII (punycode). */
  inbox: string;
  /** The address as given, trimmed, with the tag kept (Mailsac's originalInbox). */
  original: string;
  local: string;
  domain: string;
  /** The +tag without the plus, or ''. */
  tag: string;
}

// RFC 5322 3.2.3 atext, plus non-ASCII for SMTPUTF8 (RFC 6531 3.3). Quoted
// strings, source routes and bang paths are not addresses we accept (bad-input 2).
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uFFFF]+$/u;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;

function validDotAtom(s: string): boolean {
  if (!s || s.startsWith('.') || s.endsWith('.') || s.includes('..')) return false;
  return s.split('.').every((part) => ATEXT.test(part));
}

export function canonicalDomain(domain: string): string | null {
  const d = domain.trim().normalize('NFC').toLowerCase().replace(/\.$/, '');
  if (!d || CONTROL.test(d)) return null;
  const ascii = domainToASCII(d);
  if (!ascii || !/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(ascii)) return null;
  return ascii;
}

/** Parses an address (optionally in <>) into its canonical inbox, or null when it is not a plain mailbox. */
export function canonicalAddress(input: string): CanonicalAddress | null {
  let s = input.trim();
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1).trim();
  if (!s || s.length > 320 || CONTROL.test(s)) return null;
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return null;
  const rawLocal = s.slice(0, at).normalize('NFC');
  const domain = canonicalDomain(s.slice(at + 1));
  if (!domain || !validDotAtom(rawLocal)) return null;
  const lower = rawLocal.toLowerCase();
  const plus = lower.indexOf('+');
  const local = plus > 0 ? lower.slice(0, plus) : lower;
  const tag = plus > 0 ? lower.slice(plus + 1) : '';
  if (!validDotAtom(local) || Buffer.byteLength(local) > 64) return null;
  const inbox = `${local}@${domain}`;
  if (Buffer.byteLength(inbox) > 254) return null;
  return { inbox, original: `${rawLocal}@${domain}`, local, domain, tag };
}

export function localPartOf(inbox: string): string {
  return inbox.slice(0, inbox.lastIndexOf('@'));
}

/**
 * Local parts the operator keeps (postmaster, abuse, ...; RFC 2142): mail to
 * them can prove control of the domain to certificate authorities, so they
 * are admin-only and nobody may reserve them. `inbox` is canonical.
 */
export function isReservedInbox(config: Pick<Config, 'privacy'>, inbox: string): boolean {
  const local = localPartOf(inbox);
  return config.privacy.reservedLocalParts.some((r) => r.toLowerCase() === local);
}

export type ReservationProblem = 'foreign-domain' | 'reserved-local-part';

/** Why an address may not be reserved by anyone, or null: a configured domain and not a reserved local part. */
export function reservationProblem(config: Pick<Config, 'domains' | 'privacy'>, a: Pick<CanonicalAddress, 'inbox' | 'domain'>): ReservationProblem | null {
  if (!config.domains.includes(a.domain)) return 'foreign-domain';
  if (isReservedInbox(config, a.inbox)) return 'reserved-local-part';
  return null;
}
