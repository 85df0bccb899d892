// Worker-thread entry, run inside WalledPool: parses one raw message off the
// main thread, so the event loop that answers SMTP never spends its time
// inside mailparser (issue 7), and a parse bomb fails alone (issue 10).
import { serveWalledJobs } from '../workers/walled-worker.js';
import { parseMessage } from '../mail/parse.js';
import { encodeBody, encodeRaw, RAW_DEFLATE_INLINE_MAX } from '../store/body-codec.js';
import type { ParsedMessage } from '../mail/types.js';

export interface ParseRequest {
  raw: Uint8Array;
  /** mailparser's own deadline: below the pool's wall time, so a slow parse still yields its headers. */
  timeoutMs: number;
}

export interface ParseAnswer {
  /** html and headers are '' and [] here: they are in bodyZ. */
  parsed: ParsedMessage;
  bodyZ: Uint8Array;
  /** The raw source deflated, for a message the writer stored uncompressed (issue 16); absent when it did or when it does not compress. */
  rawZ?: Uint8Array;
}

serveWalledJobs<ParseRequest, ParseAnswer>(async (req) => {
  const raw = Buffer.from(req.raw.buffer, req.raw.byteOffset, req.raw.byteLength);
  const parsed = await parseMessage(raw, { timeoutMs: req.timeoutMs });
  // Compressed here, in parallel with the writer thread, rather than in it.
  const bodyZ = encodeBody(parsed);
  // A large message was stored as received, to keep ~8 ms of deflate (200 KB)
  // off the writer thread before the 250; it is compressed here instead.
  const packed = raw.length > RAW_DEFLATE_INLINE_MAX ? encodeRaw(raw) : null;
  const rawZ = packed && packed.encoding === 'deflate' ? packed.data : undefined;
  // Attachment bytes go back as transferable buffers, not copied element by element.
  const transfer = parsed.attachments.map((a) => a.content.buffer).filter((b, i, all) => all.indexOf(b) === i) as ArrayBuffer[];
  // HTML and headers travel inside bodyZ only: nothing after the worker reads
  // them from `parsed` (applyParse stores bodyZ), and copying them out of the
  // worker and back into the writer thread was the largest part of the
  // answer's structured clone (issue 16).
  return { output: { parsed: { ...parsed, html: '', headers: [] }, bodyZ, rawZ }, transfer };
});
