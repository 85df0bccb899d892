// Worker-thread entry, run inside WalledPool: parses one raw message off the
// main thread, so the event loop that answers SMTP never spends its time
// inside mailparser (issue 7), and a parse bomb fails alone (issue 10).
import { serveWalledJobs } from '../workers/walled-worker.js';
import { parseMessage } from '../mail/parse.js';
import { encodeBody, encodeRaw, RAW_DEFLATE_STORED_LEVEL } from '../store/body-codec.js';
import type { ParsedMessage } from '../mail/types.js';

export interface ParseRequest {
  raw: Uint8Array;
  /** mailparser's own deadline: below the pool's wall time, so a slow parse still yields its headers. */
  timeoutMs: number;
  /** false: the raw source is stored at RAW_DEFLATE_STORED_LEVEL already (MessageStore.insertReceived), no rawZ wanted. Default true. */
  packRaw?: boolean;
}

export interface ParseAnswer {
  /** html and headers are '' and [] here: they are in bodyZ. */
  parsed: ParsedMessage;
  bodyZ: Uint8Array;
  /** The raw source deflated at RAW_DEFLATE_STORED_LEVEL, to replace what the writer stored (issue 16); absent when it does not compress. */
  rawZ?: Uint8Array;
}

serveWalledJobs<ParseRequest, ParseAnswer>(async (req) => {
  const raw = Buffer.from(req.raw.buffer, req.raw.byteOffset, req.raw.byteLength);
  const parsed = await parseMessage(raw, { timeoutMs: req.timeoutMs });
  // Compressed here, in parallel with the writer thread, rather than in it;
  // against the raw message, whose bytes the body mostly repeats (body-codec.ts).
  const bodyZ = encodeBody(parsed, raw);
  // A large message was stored as received, to keep ~8 ms of deflate (200 KB;
  // ~2 ms since base64 runs are Huffman-coded, body-codec.ts deflateRawMixed)
  // off the writer thread before the 250; it is stored from here on at the
  // level that keeps the store small (issue 16). A small one was stored at
  // that level before its 250 (MessageStore.insertReceived, run Q): the
  // parse queue says so (packRaw false) and it is not deflated twice.
  const packed = req.packRaw === false ? null : encodeRaw(raw, RAW_DEFLATE_STORED_LEVEL);
  const rawZ = packed?.encoding === 'deflate' ? packed.data : undefined;
  // Attachment bytes go back as transferable buffers, not copied element by element.
  const transfer = parsed.attachments.map((a) => a.content.buffer).filter((b, i, all) => all.indexOf(b) === i) as ArrayBuffer[];
  // HTML and headers travel inside bodyZ only: nothing after the worker reads
  // them from `parsed` (applyParse stores bodyZ), and copying them out of the
  // worker and back into the writer thread was the largest part of the
  // answer's structured clone (issue 16).
  return { output: { parsed: { ...parsed, html: '', headers: [] }, bodyZ, rawZ }, transfer };
});
