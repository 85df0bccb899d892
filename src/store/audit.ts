// The audit log (migration 004): append, list, prune. Writers decide what is
// worth recording; this only stores it. No message content goes in here.
import type { DB } from './db.js';

export type AuditAction =
  | 'read-inbox'
  | 'read-message'
  | 'export'
  | 'delete-data'
  | 'key-create'
  | 'role-change'
  | 'login'
  | 'billing-release';

export interface AuditEntry {
  id: number;
  at: number;
  actorId: number | null;
  actor: string;
  action: AuditAction;
  target: string;
  detail: Record<string, unknown>;
  ip: string;
}

export interface AuditInput {
  actorId?: number | null;
  actor: string;
  action: AuditAction;
  target?: string;
  detail?: Record<string, unknown>;
  ip?: string;
  at?: number;
}

type Row = Record<string, any>;

export class AuditStore {
  private readonly stmts;

  constructor(private readonly db: DB) {
    this.stmts = {
      insert: db.prepare(`INSERT INTO audit_log (at, actor_id, actor, action, target, detail, ip) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      recent: db.prepare(`SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?`),
      count: db.prepare(`SELECT count(*) FROM audit_log`).pluck(),
      pruneLogins: db.prepare(`DELETE FROM audit_log WHERE action = 'login' AND at < ?`),
      pruneOthers: db.prepare(`DELETE FROM audit_log WHERE action <> 'login' AND at < ?`),
    };
  }

  record(e: AuditInput): void {
    this.stmts.insert.run(e.at ?? Date.now(), e.actorId ?? null, e.actor, e.action, e.target ?? '', JSON.stringify(e.detail ?? {}), e.ip ?? '');
  }

  /** Newest first; `before` is an entry id for paging. */
  list(opts: { limit?: number; before?: number } = {}): AuditEntry[] {
    const limit = Math.max(1, Math.min(opts.limit ?? 100, 1000));
    return (this.stmts.recent.all(opts.before ?? Number.MAX_SAFE_INTEGER, limit) as Row[]).map(auditOfRow);
  }

  /** Entries about one of these targets (addresses, message ids, a user name), oldest first. */
  about(targets: string[]): AuditEntry[] {
    if (!targets.length) return [];
    const out: AuditEntry[] = [];
    // Chunks keep the statement under SQLite's variable limit.
    for (let i = 0; i < targets.length; i += 500) {
      const chunk = targets.slice(i, i + 500);
      const rows = this.db.prepare(`SELECT * FROM audit_log WHERE target IN (${chunk.map(() => '?').join(',')}) ORDER BY id`).all(...chunk) as Row[];
      out.push(...rows.map(auditOfRow));
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** Entries recorded for what this user did, oldest first. */
  byActor(userId: number): AuditEntry[] {
    return (this.db.prepare(`SELECT * FROM audit_log WHERE actor_id = ? ORDER BY id`).all(userId) as Row[]).map(auditOfRow);
  }

  count(): number {
    return this.stmts.count.get() as number;
  }

  /** Deletes entries older than their retention (days; 0 keeps forever). Returns how many went. */
  prune(now: number, auditDays: number, loginDays: number): { audit: number; logins: number } {
    const day = 86_400_000;
    const logins = loginDays > 0 ? this.stmts.pruneLogins.run(now - loginDays * day).changes : 0;
    const audit = auditDays > 0 ? this.stmts.pruneOthers.run(now - auditDays * day).changes : 0;
    return { audit, logins };
  }
}

/** A row as the repositories return it; the PostgreSQL engine maps its rows with it too. */
export function auditOfRow(r: Row): AuditEntry {
  let detail: Record<string, unknown> = {};
  try {
    detail = JSON.parse(r.detail);
  } catch {
    detail = {};
  }
  return { id: r.id, at: r.at, actorId: r.actor_id ?? null, actor: r.actor, action: r.action, target: r.target, detail, ip: r.ip };
}
