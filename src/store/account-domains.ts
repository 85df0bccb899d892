// Domains added by accounts (migration 011, issue 12 "Your own domains"),
// with their push settings (migration 015, issue 11).
import type { DB } from './db.js';
import { pushSettingsOf, type ForwardingFields, type PushSettingsRow } from './addresses.js';

/**
 * What mail for the domain does besides being stored (issue 11): Mailsac's
 * domain `enablews`, and the forwarding fields Mailsac keeps on the domain's
 * catch-all address. They apply to every message for the domain.
 */
export interface DomainPushSettings {
  forward: string | null;
  enablews: boolean;
  webhook: string | null;
  webhookSlack: string | null;
  webhookSlackToFrom: boolean;
}

export interface AccountDomain extends DomainPushSettings {
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
  /** The last check saw an MX record pointing at this Mailroom (informational; TXT gates acceptance). */
  verifiedMx: boolean;
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
  verified_mx: number;
  forward: string | null;
  enablews: number;
  webhook: string | null;
  webhook_slack: string | null;
  webhook_slack_to_from: number;
  created: number;
  updated: number;
}

const SELECT = `SELECT d.domain, d.owner_id, u.username AS owner_name, d.token, d.verified, d.is_private, d.catch_all, d.last_error, d.verified_mx,
    d.forward, d.enablews, d.webhook, d.webhook_slack, d.webhook_slack_to_from, d.created, d.updated
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
    verifiedMx: r.verified_mx === 1,
    ...pushSettingsOf(r),
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
      all: db.prepare(`${SELECT} ORDER BY d.domain`),
      insert: db.prepare(`INSERT INTO account_domains (domain, owner_id, token, created, updated) VALUES (?, ?, ?, ?, ?)`),
      verified: db.prepare(`UPDATE account_domains SET verified = ?, last_error = '', updated = ? WHERE domain = ?`),
      failed: db.prepare(`UPDATE account_domains SET last_error = ?, updated = ? WHERE domain = ?`),
      mx: db.prepare(`UPDATE account_domains SET verified_mx = ?, updated = ? WHERE domain = ?`),
      settings: db.prepare(
        `UPDATE account_domains SET forward = ?, enablews = ?, webhook = ?, webhook_slack = ?, webhook_slack_to_from = ?, updated = ? WHERE domain = ?`,
      ),
      pushSettings: db.prepare(
        `SELECT forward, enablews, webhook, webhook_slack, webhook_slack_to_from FROM account_domains WHERE domain = ? AND verified IS NOT NULL`,
      ),
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

  /** Every account's domains (the operator's CLI). */
  list(): AccountDomain[] {
    return (this.stmts.all.all() as Row[]).map(fromRow);
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

  /** Records what the last MX lookup saw; the TXT verification is untouched. */
  setVerifiedMx(domain: string, on: boolean, now = Date.now()): void {
    this.stmts.mx.run(on ? 1 : 0, now, domain);
  }

  /** Sets the given push fields (`info` is an address's only and is ignored); fields left out keep their value, "" or null turns one off. */
  updateSettings(domain: string, f: ForwardingFields, now = Date.now()): AccountDomain | null {
    const cur = this.get(domain);
    if (!cur) return null;
    const s = (v: string | null | undefined, old: string | null) => (v === undefined ? old : v === null || v === '' ? null : String(v));
    this.stmts.settings.run(
      s(f.forward, cur.forward),
      (f.enablews ?? cur.enablews) ? 1 : 0,
      s(f.webhook, cur.webhook),
      s(f.webhookSlack, cur.webhookSlack),
      (f.webhookSlackToFrom ?? cur.webhookSlackToFrom) ? 1 : 0,
      now,
      domain,
    );
    return this.get(domain);
  }

  /** The push settings of a verified account domain; null for any other domain (config domains have none). One indexed lookup: called per recipient and per pushed message. */
  pushSettings(domain: string): DomainPushSettings | null {
    const r = this.stmts.pushSettings.get(domain) as PushSettingsRow | undefined;
    return r ? pushSettingsOf(r) : null;
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
