// Interim wiring (replaced by the `ready` branch's): builds the ReadyNotice
// for a content whose parse result the writer thread just committed.
import type { Store } from '../store/index.js';
import type { ReadyNotice } from '../ingest/ready-events.js';

export function readyNoticeFor(store: Store, contentId: number, state: 'ok' | 'failed'): ReadyNotice | null {
  const rows = store.db
    .prepare(`SELECT m.id, m.inbox, m.domain, m.received FROM messages m WHERE m.content_id = ? ORDER BY m.seq`)
    .all(contentId) as Array<{ id: string; inbox: string; domain: string; received: number }>;
  if (!rows.length) return null;
  return { contentId, state, received: rows[0]!.received, copies: rows.map((r) => ({ id: r.id, inbox: r.inbox, domain: r.domain })) };
}
