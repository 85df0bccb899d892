// The forwarding fields of a private address (Mailsac's EmailAddress: info,
// forward, webhook, webhookSlack, enablews, webhookSlackToFrom), checked once
// for the API and the account page. The two copies used to disagree: the page
// cut long notes silently, stored the forward address as typed, and took any
// length of URL. Now both refuse what does not fit, store the canonical
// forward address (policy/address.ts), and take http(s) URLs only.
import { canonicalAddress } from './address.js';
import type { ForwardingFields } from '../store/addresses.js';

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
export function parseForwarding(body: Record<string, unknown>): ForwardingFields | string {
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
  if (forward === false || (forward && !canonicalAddress(forward))) return 'forward must be an email address';
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
