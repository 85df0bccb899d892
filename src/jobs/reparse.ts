// `mailroom reparse`: messages whose parse failed or hit a wall, parsed again
// in walled workers with the budget an admin chose (issue 10 part 2). The
// result replaces the flagged one; the raw message was never touched.
import type { MessageStore } from '../store/messages.js';
import { createParsePool, parseInWalls, type ParseBudget } from './parse-pool.js';

export interface ReparseResult {
  contentId: number;
  ok: boolean;
  error: string;
}

export async function reparse(
  messages: Pick<MessageStore, 'raw' | 'applyParse'>,
  contentIds: number[],
  budget: ParseBudget,
  onEach: (r: ReparseResult) => void = () => {},
): Promise<ReparseResult[]> {
  // One worker: an admin command must not take the cores the server is using.
  const pool = createParsePool(budget, 1);
  const results: ReparseResult[] = [];
  try {
    for (const contentId of contentIds) {
      const raw = messages.raw(contentId);
      if (!raw) continue; // deleted meanwhile
      const { parsed, bodyZ, rawZ } = await parseInWalls(pool, raw, budget.timeLimitMs);
      messages.applyParse(contentId, parsed, bodyZ, rawZ);
      const r = { contentId, ok: parsed.ok, error: parsed.error };
      results.push(r);
      onEach(r);
    }
  } finally {
    await pool.close();
  }
  return results;
}
