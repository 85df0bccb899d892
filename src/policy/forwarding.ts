// The forwarding fields of a private address (Mailsac's EmailAddress: info,
// forward, webhook, webhookSlack, enablews, webhookSlackToFrom), checked once
// for the API and the account page. The two copies used to disagree: the page
// cut long notes silently, stored the forward address as typed, and took any
// length of URL. Now both refuse what does not fit, store the canonical
// forward address (policy/address.ts), and take http(s) URLs only.
import { canonicalAddress, isReservedInbox } from './address.js';
import type { ForwardingFields } from '../store/addresses.js';
import type { Config } from '../config.js';

/**
 * Why `forward` may not be set to this address, or null when it may (issue
 * 11): Mailroom never sends mail out, so it must be another inbox of this
 * Mailroom, and not a reserved one (mail would land in the operator's inbox).
 */
export function forwardRefusal(config: Pick<Config, 'domains' | 'privacy'>, forward: string, from?: string): string | null {
  const t = canonicalAddress(forward);
  if (!t) return 'forward must be an email address';
  if (!config.domains.includes(t.domain)) {
    return `Mailroom never sends mail out: forward must be an inbox of this Mailroom (@${config.domains.join(', @')})`;
  }
  if (isReservedInbox(config, t.inbox)) return 'forward may not name a reserved address (postmaster, abuse, ...)';
  if (from && canonicalAddress(from)?.inbox === t.inbox) return 'an address cannot forward to itself';
  return null;
}

export const MAX_INFO = 1000;
export const MAX_URL = 2000;

/** true/false as clients spell them (JSON booleans, "1", "yes", "on"...); undefined when absent or neither. */
export function parseBoolean(v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return undefined;
}

/**
 * The fields present in `body`, checked; a string says what is wrong. Absent
 * fields are left out (unchanged); "" or null turns a field off.
 */
export function parseForwarding(body: Record<string, unknown>, config: Pick<Config, 'domains' | 'privacy'>, self?: string): ForwardingFields | string {
  const f: ForwardingFields = {};
  const s = (k: string, max: number): string | null | undefined | false => {
    const v = body[k];
    if (v === undefined) return undefined;
    if (v === null || v === '') return null;
    if (typeof v !== 'string' || v.length > max) return false;
    return v;
  };
  const info = s('info', MAX_INFO);
  if (info === false) return `info must be text up to ${MAX_INFO} characters`;
  if (info !== undefined) f.info = info ?? '';
  const forward = s('forward', 320);
  if (forward === false) return 'forward must be an email address';
  const forwardWhy = forward ? forwardRefusal(config, forward, self) : null;
  if (forwardWhy) return forwardWhy;
  if (forward !== undefined) f.forward = forward ? canonicalAddress(forward)!.original : null;
  for (const k of ['webhook', 'webhookSlack'] as const) {
    const v = s(k, MAX_URL);
    if (v === false || (v && !/^https?:\/\/[^\s]+$/i.test(v))) return `${k} must be an http(s) URL`;
    if (v !== undefined) f[k] = v;
  }
  // Mailsac's schema spells it enablews in requests and enabledws in one response; take both.
  const ws = body.enablews ?? body.enabledws;
  if (ws !== undefined) {
    const b = parseBoolean(ws);
    if (b === undefined) return 'enablews must be true or false';
    f.enablews = b;
  }
  if (body.webhookSlackToFrom !== undefined) {
    const b = parseBoolean(body.webhookSlackToFrom);
    if (b === undefined) return 'webhookSlackToFrom must be true or false';
    f.webhookSlackToFrom = b;
  }
  return f;
}
