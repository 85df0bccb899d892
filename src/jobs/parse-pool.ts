// Parsing in walled workers (issue 10 part 2): the pool, its limits, and what
// a message becomes when it hits a wall. Shared by the parse queue (every
// message after its 250) and `mailroom reparse` (failed ones, larger budget).
import type { ResourceLimits } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { WalledPool, WalledJobFailed, type WallReason } from '../workers/walled-pool.js';
import { siblingModule } from '../worker-entry.js';
import type { ParsedMessage } from '../mail/types.js';
import type { ParseAnswer, ParseRequest } from './parse-worker.js';

export interface ParseBudget {
  /** Wall time for one message. */
  timeLimitMs: number;
  /** V8 old-generation heap of a parse worker, MB. */
  memoryMb: number;
}

/**
 * The default budget. A 25 MB message parses in well under a second and
 * 512 MB of heap; a message that needs more is hostile or broken, and an
 * admin can give it more with `mailroom reparse`.
 */
export const DEFAULT_PARSE_BUDGET: ParseBudget = { timeLimitMs: 20_000, memoryMb: 512 };

/** Parsed forms are text, HTML, attachments and the compressed body: a few times the raw size at most. */
const MAX_PARSE_OUTPUT_BYTES = 512 * 1024 * 1024;

export type ParsePool = WalledPool<ParseRequest, ParseAnswer>;

/**
 * Parse workers for this machine: one per core but the one the main and
 * writer threads share, and never fewer than two (issue 16). On two cores a
 * single worker left processing at ~650-970 ready messages/s while the
 * server used 127-155% of its 200%; with two, an offered 1,000 msg/s was
 * ready with p99 34-40 ms instead of 174-333 ms (backlog 42-55 instead of
 * 158-318), at a cost of up to 11% of the 250 rate when senders saturate
 * the machine (docs/performance.md run L). One worker is loaded when the
 * node starts (WalledPool.warm); the others start only when jobs wait for
 * them, so a quiet node runs one.
 */
export function parsePoolSize(cores = availableParallelism()): number {
  return Math.max(2, cores - 1);
}

/**
 * A parse worker past the first that has had no message for this long exits
 * (issue 16, RSS): the pool grows to parsePoolSize() under a burst of mail
 * and shrinks back to one when it is over. One stays, so a quiet node's next
 * message is parsed without waiting for a worker to load.
 */
export const PARSE_IDLE_MS = 60_000;

export function createParsePool(budget: ParseBudget = DEFAULT_PARSE_BUDGET, size = parsePoolSize(), idleMs = PARSE_IDLE_MS): ParsePool {
  const resourceLimits: ResourceLimits = {
    maxOldGenerationSizeMb: budget.memoryMb,
    maxYoungGenerationSizeMb: Math.min(64, Math.max(16, budget.memoryMb / 8)),
    stackSizeMb: 8,
  };
  return new WalledPool<ParseRequest, ParseAnswer>({
    entry: siblingModule(import.meta.url, 'parse-worker'),
    size,
    timeLimitMs: budget.timeLimitMs,
    resourceLimits,
    maxOutputBytes: MAX_PARSE_OUTPUT_BYTES,
    // Driven from the writer thread, which is often inside a commit when a
    // worker answers: each worker gets its next message ahead (issue 16).
    pipeline: true,
    idleMs,
    keepIdle: 1,
  });
}

const REASONS: Record<WallReason, string> = {
  time: 'parsing took too long',
  memory: 'parsing needed too much memory',
  output: 'parsed form too large',
  crashed: 'parser stopped',
  error: 'unparseable',
};

export interface ParseOutcome {
  /** When bodyZ is given, parsed.html and parsed.headers are empty: they are in bodyZ (parse-worker.ts). */
  parsed: ParsedMessage;
  /** The stored body document, when the worker made it. */
  bodyZ?: Buffer;
  /** The raw source deflated, when the worker made it (large messages, stored uncompressed). */
  rawZ?: Buffer;
}

/**
 * Parses one message in the pool. Never rejects: a message that hits a wall
 * comes back as its top-level headers, flagged (kept raw, as for any parse failure).
 */
export async function parseInWalls(pool: ParsePool, raw: Buffer, timeLimitMs?: number, { packRaw = true }: { packRaw?: boolean } = {}): Promise<ParseOutcome> {
  const limit = timeLimitMs ?? DEFAULT_PARSE_BUDGET.timeLimitMs;
  try {
    // Copied, not transferred: `raw` is still needed for the fallback below.
    const out = await pool.run({ raw, timeoutMs: Math.max(1000, Math.floor(limit * 0.8)), packRaw }, { timeLimitMs: limit });
    const parsed = out.parsed;
    // Structured clone turns Buffers into Uint8Arrays.
    for (const a of parsed.attachments) a.content = Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength);
    const rawZ = out.rawZ ? Buffer.from(out.rawZ.buffer, out.rawZ.byteOffset, out.rawZ.byteLength) : undefined;
    return { parsed, bodyZ: Buffer.from(out.bodyZ.buffer, out.bodyZ.byteOffset, out.bodyZ.byteLength), rawZ };
  } catch (err) {
    const reason = err instanceof WalledJobFailed ? REASONS[err.reason] : 'unparseable';
    // Loaded here, on the rare failure, not at start: parse.ts brings
    // mailparser, which the thread driving the pool (the writer thread, or the
    // main thread of a PostgreSQL node) otherwise never needs (issue 16, RSS).
    const { unparsedMessage } = await import('../mail/parse.js');
    return { parsed: unparsedMessage(raw, reason) };
  }
}
