// Domains added by accounts (migration 011, issue 12 "Your own domains").
import type { DB } from './db.js';

export interface AccountDomain {
  domain: string;
  ownerId: number;
  ownerName: string;
  token: string;
  /** Epoch ms of the successful DNS check; null while unverified. */
  verified: number | null;
  isPrivate: boolean;
  /** Every message is also filed under `*@domain`. */
  catchAll: boolean;
  lastError: string;
  created: number;
  updated: number;
}

interface Row {
  domain: string;
  owner_id: number;
  owner_name: string;
  token: string;
  verified: number | null;
  is_private: number;
  catch_all: number;
  last_error: string;
  created: number;
  updated: number;
}

const SELECT = `SELECT d.domain, d.owner_id, u.username AS owner_name, d.token, d.verified, d.is_private, d.catch_all, d.last_error, d.created, d.updated
  FROM account_domains d JOIN users u ON u.id = d.owner_id`;

function fromRow(r: Row): AccountDomain {
  return {
    domain: r.domain,
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    token: r.token,
    verified: r.verified,
    isPrivate: r.is_private === 1,
    catchAll: r.catch_all === 1,
    lastError: r.last_error,
    created: r.created,
    updated: r.updated,
  };
}

export class AccountDomainStore {
  private readonly stmts;

  constructor(db: DB) {
    this.stmts = {
      get: db.prepare(`${SELECT} WHERE d.domain = ?`),
      listForOwner: db.prepare(`${SELECT} WHERE d.owner_id = ? ORDER BY d.domain`),
      insert: db.prepare(`INSERT INTO account_domains (domain, owner_id, token, created, updated) VALUES (?, ?, ?, ?, ?)`),
      verified: db.prepare(`UPDATE account_domains SET verified = ?, last_error = '', updated = ? WHERE domain = ?`),
      failed: db.prepare(`UPDATE account_domains SET last_error = ?, updated = ? WHERE domain = ?`),
      privacy: db.prepare(`UPDATE account_domains SET is_private = ?, updated = ? WHERE domain = ?`),
      catchAll: db.prepare(`UPDATE account_domains SET catch_all = ?, updated = ? WHERE domain = ?`),
      catchAllOf: db.prepare(`SELECT catch_all FROM account_domains WHERE domain = ? AND verified IS NOT NULL`).pluck(),
      remove: db.prepare(`DELETE FROM account_domains WHERE domain = ?`),
      verifiedOwner: db.prepare(`SELECT owner_id, is_private FROM account_domains WHERE domain = ? AND verified IS NOT NULL`),
    };
  }

  get(domain: string): AccountDomain | null {
    const r = this.stmts.get.get(domain) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  listForOwner(ownerId: number): AccountDomain[] {
    return (this.stmts.listForOwner.all(ownerId) as Row[]).map(fromRow);
  }

  add(domain: string, ownerId: number, token: string, now = Date.now()): void {
    this.stmts.insert.run(domain, ownerId, token, now, now);
  }

  markVerified(domain: string, now = Date.now()): void {
    this.stmts.verified.run(now, now, domain);
  }

  markFailed(domain: string, error: string, now = Date.now()): void {
    this.stmts.failed.run(error.slice(0, 500), now, domain);
  }

  setPrivate(domain: string, isPrivate: boolean, now = Date.now()): void {
    this.stmts.privacy.run(isPrivate ? 1 : 0, now, domain);
  }

  setCatchAll(domain: string, on: boolean, now = Date.now()): void {
    this.stmts.catchAll.run(on ? 1 : 0, now, domain);
  }

  /** `*@domain` when the verified domain has its catch-all on; null otherwise. */
  catchAllInbox(domain: string): string | null {
    return this.stmts.catchAllOf.get(domain) === 1 ? `*@${domain}` : null;
  }

  remove(domain: string): void {
    this.stmts.remove.run(domain);
  }

  /** A verified domain's owner and privacy: what receiving and reading decide by; null when not verified here. */
  verifiedOwner(domain: string): { ownerId: number; isPrivate: boolean } | null {
    const r = this.stmts.verifiedOwner.get(domain) as { owner_id: number; is_private: number } | undefined;
    return r ? { ownerId: r.owner_id, isPrivate: r.is_private === 1 } : null;
  }
}
