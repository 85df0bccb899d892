// Owned addresses and account domains on the PostgreSQL engine (issue 14):
// the SQL of AddressStore (addresses.ts) and AccountDomainStore
// (account-domains.ts) against the schema of migrations/, with the same
// answers (test/store/ownership-repositories-contract.ts holds both engines
// to them). Differences the SQL has to bridge:
//   - the flags are booleans here, 0/1 there: mapped to the same views;
//   - lists are ordered bytewise (COLLATE "C"), as SQLite's BINARY orders
//     them, whatever the database's collation;
//   - a read-then-write (update, updateSettings) runs as two statements, as
//     on SQLite: the last writer wins, nothing is lost that SQLite would keep.
// Given a TransactionSql (Repositories.transaction), every statement runs in
// that transaction.
import type { Sql, TransactionSql } from './driver.js';
import type { Repositories } from '../repositories.js';
import { normalizeForwarding, type ForwardingFields, type OwnedAddress } from '../addresses.js';
import type { AccountDomain, DomainPushSettings } from '../account-domains.js';

type Row = Record<string, any>;
type Q = Sql | TransactionSql;

const ADDRESS_SELECT = `SELECT a.address, a.owner_id, u.username AS owner_name, a.info, a.forward, a.enablews, a.webhook, a.webhook_slack,
    a.webhook_slack_to_from, a.created, a.updated
  FROM addresses a JOIN users u ON u.id = a.owner_id`;

const DOMAIN_SELECT = `SELECT d.domain, d.owner_id, u.username AS owner_name, d.token, d.verified, d.is_private, d.catch_all, d.last_error, d.verified_mx,
    d.forward, d.enablews, d.webhook, d.webhook_slack, d.webhook_slack_to_from, d.created, d.updated
  FROM account_domains d JOIN users u ON u.id = d.owner_id`;

/** addresses.ts pushSettingsOf, from boolean columns. */
function pushSettingsOf(r: Row): DomainPushSettings {
  return {
    forward: r.forward ?? null,
    enablews: r.enablews === true,
    webhook: r.webhook ?? null,
    webhookSlack: r.webhook_slack ?? null,
    webhookSlackToFrom: r.webhook_slack_to_from === true,
  };
}

function addressOf(r: Row): OwnedAddress {
  return {
    address: r.address,
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    info: r.info,
    ...pushSettingsOf(r),
    created: r.created,
    updated: r.updated,
  };
}

function domainOf(r: Row): AccountDomain {
  return {
    domain: r.domain,
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    token: r.token,
    verified: r.verified ?? null,
    isPrivate: r.is_private === true,
    catchAll: r.catch_all === true,
    lastError: r.last_error,
    verifiedMx: r.verified_mx === true,
    ...pushSettingsOf(r),
    created: r.created,
    updated: r.updated,
  };
}

export function pgOwnershipRepositories(q: Q): Pick<Repositories, 'addresses' | 'domains'> {
  const getAddress = async (address: string): Promise<OwnedAddress | null> => {
    const [r] = await q.unsafe<Row[]>(`${ADDRESS_SELECT} WHERE a.address = $1`, [address]);
    return r ? addressOf(r) : null;
  };
  const getDomain = async (domain: string): Promise<AccountDomain | null> => {
    const [r] = await q.unsafe<Row[]>(`${DOMAIN_SELECT} WHERE d.domain = $1`, [domain]);
    return r ? domainOf(r) : null;
  };

  return {
    addresses: {
      get: getAddress,

      async ownerOf(address) {
        const [r] = await q<{ owner_id: number }[]>`SELECT owner_id FROM addresses WHERE address = ${address}`;
        return r ? r.owner_id : null;
      },

      async listForOwner(ownerId) {
        return (await q.unsafe<Row[]>(`${ADDRESS_SELECT} WHERE a.owner_id = $1 ORDER BY a.address COLLATE "C"`, [ownerId])).map(addressOf);
      },

      async list() {
        return (await q.unsafe<Row[]>(`${ADDRESS_SELECT} ORDER BY a.address COLLATE "C"`)).map(addressOf);
      },

      async countForOwner(ownerId) {
        const [r] = await q<{ n: number }[]>`SELECT count(*)::int AS n FROM addresses WHERE owner_id = ${ownerId}`;
        return r!.n;
      },

      async reserve(address: string, ownerId: number, fields: ForwardingFields = {}) {
        const now = Date.now();
        const f = normalizeForwarding(fields, null);
        // The primary key decides races: a second reservation throws (23505), as on SQLite.
        await q`
          INSERT INTO addresses (address, owner_id, info, forward, enablews, webhook, webhook_slack, webhook_slack_to_from, created, updated)
          VALUES (${address}, ${ownerId}, ${f.info}, ${f.forward}, ${f.enablews}, ${f.webhook}, ${f.webhookSlack}, ${f.webhookSlackToFrom}, ${now}, ${now})`;
        return (await getAddress(address))!;
      },

      async update(address, fields) {
        const cur = await getAddress(address);
        if (!cur) return null;
        const f = normalizeForwarding(fields, cur);
        await q`
          UPDATE addresses SET info = ${f.info}, forward = ${f.forward}, enablews = ${f.enablews}, webhook = ${f.webhook},
            webhook_slack = ${f.webhookSlack}, webhook_slack_to_from = ${f.webhookSlackToFrom}, updated = ${Date.now()}
          WHERE address = ${address}`;
        return getAddress(address);
      },

      async release(address) {
        return (await q`DELETE FROM addresses WHERE address = ${address}`).count > 0;
      },

      // pg/message-reader.ts dropForeignStars, here so it can share a transaction with the reservation.
      async dropForeignStars(inbox, ownerId) {
        await q`UPDATE messages SET starred = false, saved_by = NULL WHERE inbox = ${inbox} AND saved_by IS NOT NULL AND saved_by <> ${ownerId}`;
      },
    },

    domains: {
      get: getDomain,

      async listForOwner(ownerId) {
        return (await q.unsafe<Row[]>(`${DOMAIN_SELECT} WHERE d.owner_id = $1 ORDER BY d.domain COLLATE "C"`, [ownerId])).map(domainOf);
      },

      async list() {
        return (await q.unsafe<Row[]>(`${DOMAIN_SELECT} ORDER BY d.domain COLLATE "C"`)).map(domainOf);
      },

      async add(domain, ownerId, token, now = Date.now()) {
        await q`INSERT INTO account_domains (domain, owner_id, token, created, updated) VALUES (${domain}, ${ownerId}, ${token}, ${now}, ${now})`;
      },

      async markVerified(domain, now = Date.now()) {
        await q`UPDATE account_domains SET verified = ${now}, last_error = '', updated = ${now} WHERE domain = ${domain}`;
      },

      async markFailed(domain, error, now = Date.now()) {
        await q`UPDATE account_domains SET last_error = ${error.slice(0, 500)}, updated = ${now} WHERE domain = ${domain}`;
      },

      async setVerifiedMx(domain, on, now = Date.now()) {
        await q`UPDATE account_domains SET verified_mx = ${Boolean(on)}, updated = ${now} WHERE domain = ${domain}`;
      },

      async updateSettings(domain, f, now = Date.now()) {
        const cur = await getDomain(domain);
        if (!cur) return null;
        // AccountDomainStore.updateSettings' rules, to the letter (enablews and webhookSlackToFrom by truthiness).
        const s = (v: string | null | undefined, old: string | null) => (v === undefined ? old : v === null || v === '' ? null : String(v));
        await q`
          UPDATE account_domains SET forward = ${s(f.forward, cur.forward)}, enablews = ${Boolean(f.enablews ?? cur.enablews)},
            webhook = ${s(f.webhook, cur.webhook)}, webhook_slack = ${s(f.webhookSlack, cur.webhookSlack)},
            webhook_slack_to_from = ${Boolean(f.webhookSlackToFrom ?? cur.webhookSlackToFrom)}, updated = ${now}
          WHERE domain = ${domain}`;
        return getDomain(domain);
      },

      async pushSettings(domain) {
        const [r] = await q<Row[]>`
          SELECT forward, enablews, webhook, webhook_slack, webhook_slack_to_from FROM account_domains WHERE domain = ${domain} AND verified IS NOT NULL`;
        return r ? pushSettingsOf(r) : null;
      },

      async setPrivate(domain, isPrivate, now = Date.now()) {
        await q`UPDATE account_domains SET is_private = ${Boolean(isPrivate)}, updated = ${now} WHERE domain = ${domain}`;
      },

      async setCatchAll(domain, on, now = Date.now()) {
        await q`UPDATE account_domains SET catch_all = ${Boolean(on)}, updated = ${now} WHERE domain = ${domain}`;
      },

      async catchAllInbox(domain) {
        const [r] = await q<{ catch_all: boolean }[]>`SELECT catch_all FROM account_domains WHERE domain = ${domain} AND verified IS NOT NULL`;
        return r?.catch_all === true ? `*@${domain}` : null;
      },

      async remove(domain) {
        await q`DELETE FROM account_domains WHERE domain = ${domain}`;
      },

      async verifiedOwner(domain) {
        const [r] = await q<{ owner_id: number; is_private: boolean }[]>`
          SELECT owner_id, is_private FROM account_domains WHERE domain = ${domain} AND verified IS NOT NULL`;
        return r ? { ownerId: r.owner_id, isPrivate: r.is_private === true } : null;
      },
    },
  };
}
