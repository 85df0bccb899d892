// Messages each account captured per calendar month (migration 014, issue 15):
// what a plan's captureMessagesPerMonth is counted against. Months are UTC,
// so an account's allowance renews at the same instant wherever it is.
import type { DB } from './db.js';

/** The UTC calendar month of an instant, as 'YYYY-MM'. */
export function captureMonth(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** The first instant of the UTC month after the one `at` is in (when the allowance renews). */
export function nextCaptureMonth(at: number): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export class CaptureUsageStore {
  private readonly stmts;

  constructor(db: DB) {
    this.stmts = {
      get: db.prepare(`SELECT messages FROM capture_usage WHERE user_id = ? AND month = ?`).pluck(),
      ofUser: db.prepare(`SELECT month, messages FROM capture_usage WHERE user_id = ? ORDER BY month`),
      add: db.prepare(
        `INSERT INTO capture_usage (user_id, month, messages) VALUES (?, ?, ?)
         ON CONFLICT (user_id, month) DO UPDATE SET messages = messages + excluded.messages`,
      ),
    };
  }

  /** Messages the account captured in the month `at` is in. */
  used(userId: number, at: number): number {
    return (this.stmts.get.get(userId, captureMonth(at)) as number | undefined) ?? 0;
  }

  /** Every month the account captured in, oldest first (its data export). */
  months(userId: number): Array<{ month: string; messages: number }> {
    return this.stmts.ofUser.all(userId) as Array<{ month: string; messages: number }>;
  }

  add(userId: number, at: number, messages: number): void {
    if (messages > 0) this.stmts.add.run(userId, captureMonth(at), messages);
  }
}
