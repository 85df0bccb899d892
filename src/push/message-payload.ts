// The message as pushed to programs: the API's message metadata (messageJson,
// so a frame and GET /api/addresses/{email}/messages agree field for field)
// plus Mailsac's body properties (EmailMessageBodyProps: text, body, raw,
// headers; the websocket page's example also has html). Every string is
// message data carried inside JSON, escaped by JSON.stringify. The message,
// its body and raw source come through the store's MessageReader (issue 14).
import type { Config } from '../config.js';
import type { EngineStore } from '../store/engine-store.js';
import type { MessageView } from '../store/messages.js';
import { messageJson, savedByFor } from '../http/api/json.js';
import { viaAddress } from '../http/api/kit.js';
import { rawHeaders } from '../mail/raw-headers.js';

export type MessagePayload = Record<string, unknown>;

/** Headers as Mailsac's `json` format: names lower-cased, values grouped in arrays. */
function groupedHeaders(headers: Array<[string, string]>): Record<string, string[]> {
  const grouped: Record<string, string[]> = Object.create(null);
  for (const [n, v] of headers) (grouped[n.toLowerCase()] ??= []).push(v);
  return { ...grouped };
}

/** The payload of one stored message, or null when it is gone (deleted before it was pushed). */
export async function messagePayload(store: EngineStore, config: Config, id: string): Promise<MessagePayload | null> {
  const m = await store.reader.get(id);
  if (!m) return null;
  return payloadOf(store, config, m);
}

export async function payloadOf(store: EngineStore, config: Config, m: MessageView): Promise<MessagePayload> {
  // privacy.storeSenderIp off: the same redaction as the API's answers.
  const view = config.privacy.storeSenderIp ? m : { ...m, ip: '', helo: '' };
  // No viewer: `savedBy` (who starred it) is not pushed to anyone (issue 13 item 7).
  const meta = messageJson(view, config.privacy.storeSenderIp ? viaAddress(config.smtp.host) : '', await savedByFor(store, view, { userId: null, admin: false }));
  const [body, stored] = await Promise.all([store.reader.body(m.contentId), store.reader.raw(m.contentId)]);
  const raw = stored ?? Buffer.alloc(0);
  let headers = body && m.parseState !== 'pending' ? body.headers : [];
  if (!headers.length) headers = rawHeaders(raw) as unknown as Array<[string, string]>;
  const html = body?.html ?? '';
  return {
    ...meta,
    date: m.date === null ? null : new Date(m.date).toISOString(),
    messageId: m.messageId,
    text: body?.text ?? '',
    html,
    body: html,
    headers: groupedHeaders(headers),
    // Raw SMTP bytes; latin1 keeps every byte of an 8-bit message representable.
    raw: raw.toString(isUtf8(raw) ? 'utf8' : 'latin1'),
  };
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}
