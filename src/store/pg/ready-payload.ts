// The ready event's NOTIFY payload (issue 14): written by the transaction
// that makes a message ready (message-writer.ts), read by every node's
// listener (ingest/pg-ready-events.ts). NOTIFY carries at most 8000 bytes:
// the copies travel along when they fit, else only the content id, and the
// listener reads the copies from the database.
import type { ReadyCopy, ReadyNotice } from '../../ingest/ready-events.js';

export const READY_CHANNEL = 'mailroom_ready';

/** Below PostgreSQL's 8000-byte NOTIFY limit, with room for the channel name. */
const MAX_PAYLOAD_BYTES = 7000;

/**
 * On the wire: c content id, s state, r received, t ready_at (the database's
 * clock), p copies as [id, inbox, domain, capturedBy] (absent: fetch them).
 */
interface Payload {
  c: number;
  s: 'ok' | 'failed';
  r: number;
  t: number;
  p?: Array<[string, string, string, number | null]>;
}

export function encodeReadyPayload(notice: ReadyNotice, readyAt: number): string {
  const head = { c: notice.contentId, s: notice.state, r: notice.received, t: readyAt };
  const text = JSON.stringify({ ...head, p: notice.copies.map((c) => [c.id, c.inbox, c.domain, c.capturedBy ?? null]) } satisfies Payload);
  if (Buffer.byteLength(text) <= MAX_PAYLOAD_BYTES) return text;
  return JSON.stringify(head satisfies Payload);
}

export interface DecodedReady extends Omit<ReadyNotice, 'copies'> {
  /** When it became ready, by the database's clock. */
  readyAt: number;
  /** null: too many for the payload, read them from the database. */
  copies: ReadyCopy[] | null;
}

/** What a payload carries; null when the text is not ours. */
export function decodeReadyPayload(text: string): DecodedReady | null {
  let p: Payload;
  try {
    p = JSON.parse(text) as Payload;
  } catch {
    return null;
  }
  if (typeof p?.c !== 'number' || (p.s !== 'ok' && p.s !== 'failed') || typeof p.r !== 'number' || typeof p.t !== 'number') return null;
  return {
    contentId: p.c,
    state: p.s,
    received: p.r,
    readyAt: p.t,
    copies: p.p ? p.p.map(([id, inbox, domain, capturedBy]) => ({ id, inbox, domain, capturedBy })) : null,
  };
}
