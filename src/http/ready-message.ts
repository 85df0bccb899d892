// Loading one message by id for a route: between the 250 and "ready" the
// read waits, bounded, instead of showing a half-made message (issue 10).
// Past the bound it throws MessageNotReadyError, which app.ts answers with
// 503 and Retry-After (API JSON or a plain page).
import { MessageNotReadyError, READY_WAIT_MS, waitReady } from '../ingest/wait-ready.js';
import type { MessageView, Reader } from '../store/messages.js';
import type { WebDeps } from './deps.js';

/**
 * The message if it belongs to this inbox (ids from elsewhere: null, bad-input
 * 60) and the reader may see it (captured mail, issue 12), once it is ready.
 */
export async function readyMessageInInbox(deps: WebDeps, inbox: string, id: string, reader?: Reader): Promise<MessageView | null> {
  const messages = deps.store.reader;
  const m = await messages.getInInbox(inbox, id, reader);
  // parse_state leaves 'pending' in the same transaction that sets ready.
  if (!m || m.parseState !== 'pending') return m;
  // Without ready events (or a missed notice) the wait polls the reader: ready when parsing left 'pending'.
  const lookup = {
    isReady: async (messageId: string) => {
      const found = await messages.get(messageId);
      return found === null ? null : found.parseState !== 'pending';
    },
  };
  if ((await waitReady(lookup, deps.ready, id, deps.readyWaitMs ?? READY_WAIT_MS)) === 'pending') throw new MessageNotReadyError(id);
  return messages.getInInbox(inbox, id, reader);
}
