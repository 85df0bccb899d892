// Reserved (private) addresses and their forwarding settings, in Mailsac's
// EmailAddress vocabulary. The address is the canonical inbox.
import type { DB } from './db.js';

export interface ForwardingFields {
  info?: string;
  forward?: string | null;
  enablews?: boolean;
  webhook?: string | null;
  webhookSlack?: string | null;
  webhookSlackToFrom?: boolean;
}

/** The push columns an owned address and an account domain share (migration 015 copied the address's), as the API names them. */
export interface PushSettingsRow {
  forward: string | null;
  enablews: number;
  webhook: string | null;
  webhook_slack: string | null;
  webhook_slack_to_from: number;
}

export function pushSettingsOf(r: PushSettingsRow): Required<Omit<ForwardingFields, 'info'>> {
  return {
    forward: r.forward ?? null,
    enablews: r.enablews === 1,
    webhook: r.webhook ?? null,
    webhookSlack: r.webhook_slack ?? null,
    webhookSlackToFrom: r.webhook_slack_to_from === 1,
  };
}

export interface OwnedAddress {
  address: string;
  ownerId: number;
  ownerName: string;
  info: string;
  forward: string | null;
  enablews: boolean;
  webhook: string | null;
  webhookSlack: string | null;
  webhookSlackToFrom: boolean;
  created: number;
  updated: number;
}

type Row = Record<string, any>;

const SELECT = `SELECT a.*, u.username AS owner_name FROM addresses a JOIN users u ON u.id = a.owner_id`;

export class AddressStore {
  private readonly stmts;

  constructor(db: DB) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO addresses (address, owner_id, info, forward, enablews, webhook, webhook_slack, webhook_slack_to_from, created, updated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare(`${SELECT} WHERE a.address = ?`),
      owner: db.prepare(`SELECT owner_id FROM addresses WHERE address = ?`).pluck(),
      ofOwner: db.prepare(`${SELECT} WHERE a.owner_id = ? ORDER BY a.address`),
      all: db.prepare(`${SELECT} ORDER BY a.address`),
      update: db.prepare(
        `UPDATE addresses SET info = ?, forward = ?, enablews = ?, webhook = ?, webhook_slack = ?, webhook_slack_to_from = ?, updated = ?
         WHERE address = ?`,
      ),
      remove: db.prepare(`DELETE FROM addresses WHERE address = ?`),
      countOwner: db.prepare(`SELECT count(*) FROM addresses WHERE owner_id = ?`).pluck(),
    };
  }

  get(address: string): OwnedAddress | null {
    const r = this.stmts.get.get(address) as Row | undefined;
    return r ? view(r) : null;
  }

  /** The owning user id, or null when the address is public. One indexed lookup: called on every inbox read. */
  ownerOf(address: string): number | null {
    return (this.stmts.owner.get(address) as number | undefined) ?? null;
  }

  listForOwner(ownerId: number): OwnedAddress[] {
    return (this.stmts.ofOwner.all(ownerId) as Row[]).map(view);
  }

  list(): OwnedAddress[] {
    return (this.stmts.all.all() as Row[]).map(view);
  }

  countForOwner(ownerId: number): number {
    return this.stmts.countOwner.get(ownerId) as number;
  }

  /** Reserves an address; throws when someone already owns it (the primary key decides races). */
  reserve(address: string, ownerId: number, fields: ForwardingFields = {}): OwnedAddress {
    const now = Date.now();
    const f = normalizeForwarding(fields, null);
    this.stmts.insert.run(address, ownerId, f.info, f.forward, f.enablews ? 1 : 0, f.webhook, f.webhookSlack, f.webhookSlackToFrom ? 1 : 0, now, now);
    return this.get(address)!;
  }

  /** Sets the given forwarding fields; fields left out keep their value. */
  update(address: string, fields: ForwardingFields): OwnedAddress | null {
    const cur = this.get(address);
    if (!cur) return null;
    const f = normalizeForwarding(fields, cur);
    this.stmts.update.run(f.info, f.forward, f.enablews ? 1 : 0, f.webhook, f.webhookSlack, f.webhookSlackToFrom ? 1 : 0, Date.now(), address);
    return this.get(address);
  }

  release(address: string): boolean {
    return this.stmts.remove.run(address).changes > 0;
  }
}

/** The row a reservation or an update writes: fields left out keep cur's value (or the default), "" or null turns a URL off. Both engines use it. */
export function normalizeForwarding(f: ForwardingFields, cur: OwnedAddress | null) {
  const str = (v: string | null | undefined, old: string | null) => (v === undefined ? old : v === null || v === '' ? null : String(v));
  return {
    info: f.info === undefined ? (cur?.info ?? '') : String(f.info ?? ''),
    forward: str(f.forward, cur?.forward ?? null),
    enablews: f.enablews === undefined ? (cur?.enablews ?? false) : Boolean(f.enablews),
    webhook: str(f.webhook, cur?.webhook ?? null),
    webhookSlack: str(f.webhookSlack, cur?.webhookSlack ?? null),
    webhookSlackToFrom: f.webhookSlackToFrom === undefined ? (cur?.webhookSlackToFrom ?? false) : Boolean(f.webhookSlackToFrom),
  };
}

function view(r: Row): OwnedAddress {
  return {
    address: r.address,
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    info: r.info,
    ...pushSettingsOf(r as PushSettingsRow),
    created: r.created,
    updated: r.updated,
  };
}
