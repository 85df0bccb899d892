// Worker-thread entry: parses raw messages off the main thread, so the event
// loop that answers SMTP never spends its time inside mailparser (issue 7).
import { parentPort } from 'node:worker_threads';
import { parseMessage } from '../mail/parse.js';
import { encodeBody } from '../store/body-codec.js';

export interface ParseRequest {
  contentId: number;
  raw: Uint8Array;
}

if (!parentPort) throw new Error('parse-worker must run in a worker thread');
const port = parentPort;

port.on('message', async (req: ParseRequest) => {
  const raw = Buffer.from(req.raw.buffer, req.raw.byteOffset, req.raw.byteLength);
  const parsed = await parseMessage(raw);
  // Compressed here, in parallel with the writer thread, rather than in it.
  const bodyZ = encodeBody(parsed);
  // Attachment bytes go back as transferable buffers, not copied element by element.
  const transfer = parsed.attachments.map((a) => a.content.buffer).filter((b, i, all) => all.indexOf(b) === i) as ArrayBuffer[];
  try {
    port.postMessage({ contentId: req.contentId, parsed, bodyZ }, transfer);
  } catch {
    // Buffers from Node's shared pool cannot be transferred; copy instead.
    port.postMessage({ contentId: req.contentId, parsed, bodyZ });
  }
});
