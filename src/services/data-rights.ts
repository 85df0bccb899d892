// The reader's rights over their data (issue 4; policy: "see what data we
// have about you ... have us delete any data we have about you"):
// - exportData(): everything held for an address or an account, streamed as
//   a ZIP holding one mbox per address (mboxrd) and manifest.json (metadata,
//   labels, flags, the account and its keys' metadata, audit entries about
//   them, webhook activity and queued deliveries, and whether a webhook
//   signing secret exists, never the secret). Never held whole in memory.
// - eraseData(): everything held for an address (its messages, raw source,
//   parsed text, attachments no other message shares, search index entries,
//   whose index pages are merged at once so the deleted words go too)
//   or an account (that for each of its addresses, then the addresses, keys,
//   sessions, webhook secret and the user), webhook deliveries and activity
//   lines of the address or account (issue 11), then the WAL is checkpointed and truncated so the
//   deleted bytes are in neither the file nor the WAL (secure_delete is on,
//   and the search index deletes its terms at once, migration 004).
//   Idempotent: erasing again finds nothing and succeeds.
// Export reads through the store's reader and repositories (either engine,
// issue 14) with a turn of the event loop every few hundred messages; erasure
// deletes through the MessageEraser, in batches on the writer thread like
// retention.
import type { Config } from '../config.js';
import type { EngineStore } from '../store/engine-store.js';
import type { MessageView } from '../store/messages.js';
import type { AuditEntry } from '../store/audit.js';
import type { Activity, Delivery } from '../store/webhooks.js';
import type { User } from '../store/users.js';
import type { MessageEraser } from '../store/bulk-delete.js';
import { ZipWriter, safeEntryName } from '../privacy/zip.js';
import { removesLastAdmin } from '../policy/accounts.js';

export type Subject = { kind: 'address'; inbox: string } | { kind: 'account'; userId: number };

const BATCH = 200;
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The inboxes a subject covers: the address itself, or every address the account owns. */
export async function inboxesOf(store: EngineStore, s: Subject): Promise<string[]> {
  if (s.kind === 'address') return [s.inbox];
  return (await store.data.addresses.listForOwner(s.userId)).map((a) => a.address);
}

export async function countMessages(store: EngineStore, s: Subject): Promise<number> {
  // Every stored message, ready or not: an export or erasure covers them all (issue 10).
  let n = 0;
  for (const inbox of await inboxesOf(store, s)) n += await store.reader.countAll(inbox);
  return n;
}

/** asctime form for the mbox From_ line (RFC 4155): "Mon Jan  2 15:04:05 2006", in UTC. */
function asctime(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/**
 * One message in mboxrd form (RFC 4155 and the mboxrd convention): a From_
 * line, the message with line ends as LF and every line that matches
 * /^>*From / given one more '>', then an empty line.
 */
export function mboxEntry(raw: Buffer, envelopeFrom: string, received: number): Buffer {
  const sender = envelopeFrom && !/[\s\u0000-\u001f]/.test(envelopeFrom) ? envelopeFrom : 'MAILER-DAEMON';
  const body = raw
    .toString('latin1')
    .replace(/\r\n/g, '\n')
    .replace(/^(>*From )/gm, '>$1');
  return Buffer.from(`From ${sender} ${asctime(received)}\n${body}${body.endsWith('\n') ? '' : '\n'}\n`, 'latin1');
}

export interface ExportProgress {
  done: number;
  total: number;
}

export interface ExportOptions {
  config: Config;
  /** The account's billing records (issue 15): services.billing.exportRecords. */
  billingRecords?: (userId: number) => Promise<Record<string, unknown> | null>;
  onProgress?: (p: ExportProgress) => void;
  now?: number;
}

function messageManifest(m: MessageView, mbox: string, showIp: boolean): Record<string, unknown> {
  return {
    id: m.id,
    mbox,
    inbox: m.inbox,
    originalInbox: m.originalInbox,
    received: new Date(m.received).toISOString(),
    size: m.size,
    envelopeFrom: m.mailFrom,
    envelopeTo: m.rcptTo,
    ip: showIp ? m.ip : '',
    helo: showIp ? m.helo : '',
    tls: m.tls,
    parseState: m.parseState,
    subject: m.subject,
    from: m.from,
    to: m.to,
    cc: m.cc,
    date: m.date === null ? null : new Date(m.date).toISOString(),
    messageId: m.messageId,
    read: m.read,
    starred: m.starred,
    folder: m.folder,
    labels: m.labels,
    attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size, md5: a.md5, inline: a.inline })),
  };
}

function auditJson(e: AuditEntry, showIp: boolean): Record<string, unknown> {
  return { at: new Date(e.at).toISOString(), actor: e.actor, action: e.action, target: e.target, detail: e.detail, ip: showIp ? e.ip : '' };
}

/**
 * Webhook records (issue 11): queued deliveries and the activity log, from
 * `since` on (an address's previous owner's are not the subject's), and only
 * whether a signing secret exists: the secret itself is a credential.
 */
function webhooksJson(w: { secretCreated: number | null; deliveries: Delivery[]; activity: Activity[] }, since: number, account: boolean): Record<string, unknown> {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    // The secret is the account's, not an address's.
    ...(account ? { signingSecret: w.secretCreated === null ? { exists: false } : { exists: true, created: iso(w.secretCreated) } } : {}),
    deliveries: w.deliveries
      .filter((d) => d.created >= since)
      .map((d) => ({ id: d.id, address: d.address, messageId: d.messageId, kind: d.kind, url: d.url, created: iso(d.created), attempts: d.attempts, state: d.state })),
    activity: w.activity
      .filter((a) => a.at >= since)
      .map((a) => ({ at: iso(a.at), deliveryId: a.deliveryId, address: a.address, messageId: a.messageId, url: a.url, attempt: a.attempt, status: a.status, latencyMs: a.latencyMs, error: a.error })),
  };
}

/** Streams the export ZIP to `emit`. Returns how many messages it holds. */
export async function exportData(store: EngineStore, s: Subject, emit: (chunk: Buffer) => void | Promise<void>, opts: ExportOptions): Promise<{ messages: number }> {
  const showIp = opts.config.privacy.storeSenderIp;
  const now = opts.now ?? Date.now();
  const zip = new ZipWriter(emit, new Date(now));
  const { data, reader } = store;
  const inboxes = await inboxesOf(store, s);
  const total = await countMessages(store, s);
  const manifestMessages: Record<string, unknown>[] = [];
  const targets = new Set<string>(inboxes);
  // Audit entries about a target count only from when it became the
  // subject's (issue 13 item 4): an owned address from its reservation (not
  // the previous owner's time), its messages likewise, the account from its
  // creation. Unowned (public) addresses, exported by admins, keep them all.
  const since = new Map<string, number>();
  const owned = new Map(await Promise.all(inboxes.map(async (inbox) => [inbox, await data.addresses.get(inbox)] as const)));
  for (const inbox of inboxes) since.set(inbox, owned.get(inbox)?.created ?? 0);
  let done = 0;
  for (const inbox of inboxes) {
    const mbox = safeEntryName(`mbox/${inbox.replace(/\//g, '_')}.mbox`);
    await zip.begin(mbox);
    const ids = await reader.idsInArrivalOrder(inbox);
    for (let i = 0; i < ids.length; i++) {
      const m = await reader.get(ids[i]!);
      if (!m) continue; // deleted meanwhile
      const raw = await reader.raw(m.contentId);
      if (raw) await zip.write(mboxEntry(raw, m.mailFrom, m.received));
      manifestMessages.push(messageManifest(m, mbox, showIp));
      targets.add(m.id);
      since.set(m.id, since.get(inbox) ?? 0);
      done++;
      if (done % BATCH === 0) {
        opts.onProgress?.({ done, total });
        await yieldTurn();
      }
    }
    await zip.end();
  }
  let account: Record<string, unknown> | null = null;
  if (s.kind === 'account') {
    const u = await data.users.byId(s.userId);
    if (u) {
      targets.add(u.username);
      since.set(u.username, u.created);
      account = {
        username: u.username,
        email: u.email,
        role: u.role,
        created: new Date(u.created).toISOString(),
        lastLogin: u.lastLogin === null ? null : new Date(u.lastLogin).toISOString(),
        // Keys are stored only as hashes: their names and first characters are all there is.
        apiKeys: (await data.keys.listForUser(u.id)).map((k) => ({
          name: k.name,
          startsWith: k.hint,
          created: new Date(k.created).toISOString(),
          lastUsed: k.lastUsed === null ? null : new Date(k.lastUsed).toISOString(),
          revoked: k.revoked === null ? null : new Date(k.revoked).toISOString(),
        })),
        // Domains the account added (issue 12) and their push settings: held for it, so exported with it.
        domains: (await data.domains.listForOwner(u.id)).map((d) => ({
          domain: d.domain,
          verificationToken: d.token,
          verified: d.verified === null ? null : new Date(d.verified).toISOString(),
          verifiedMx: d.verifiedMx,
          private: d.isPrivate,
          catchAll: d.catchAll,
          forward: d.forward,
          enablews: d.enablews,
          webhook: d.webhook,
          webhookSlack: d.webhookSlack,
          webhookSlackToFrom: d.webhookSlackToFrom,
          created: new Date(d.created).toISOString(),
        })),
      };
    }
  }
  // Read again: an address released during a long export is exported as it is now.
  const addressRows = await Promise.all(inboxes.map((inbox) => data.addresses.get(inbox)));
  const addresses = inboxes.map((inbox, i) => {
    const a = addressRows[i];
    return a
      ? { address: a.address, private: true, owner: a.ownerName, info: a.info, forward: a.forward, webhook: a.webhook, webhookSlack: a.webhookSlack, created: new Date(a.created).toISOString() }
      : { address: inbox, private: false };
  });
  // What was done about this data, and (for an account) what the account itself did.
  const audit = (await data.audit.about([...targets])).filter((e) => e.at >= (since.get(e.target) ?? 0));
  if (s.kind === 'account') {
    const seen = new Set(audit.map((e) => e.id));
    // By actor id, but only since this account exists: ids of deleted users
    // were reused before migration 010, and their entries are not this user's.
    const created = (await data.users.byId(s.userId))?.created ?? Number.MAX_SAFE_INTEGER;
    for (const e of await data.audit.byActor(s.userId)) if (!seen.has(e.id) && e.at >= created) audit.push(e);
    audit.sort((a, b) => a.id - b.id);
  }
  const webhooks =
    s.kind === 'account'
      ? webhooksJson(await data.webhooks.exportOf({ userId: s.userId }), (await data.users.byId(s.userId))?.created ?? Number.MAX_SAFE_INTEGER, true)
      : webhooksJson(await data.webhooks.exportOf({ address: s.inbox }), since.get(s.inbox) ?? 0, false);
  const manifest = {
    format: 'mailroom-export/1',
    generated: new Date(now).toISOString(),
    subject: s.kind === 'address' ? { address: s.inbox } : { account: account?.username ?? null },
    notes: [
      'Each mbox file is mboxrd (RFC 4155): the messages exactly as received, line ends as LF.',
      showIp ? 'ip and helo are the sending host as it connected.' : 'This Mailroom does not store sending hosts (privacy.storeSenderIp is off).',
    ],
    account,
    // Stripe ids, plan and status (issue 15); null when the account never bought anything.
    ...(s.kind === 'account' ? { billing: (await opts.billingRecords?.(s.userId)) ?? null } : {}),
    addresses,
    webhooks,
    messages: manifestMessages,
    audit: audit.map((e) => auditJson(e, showIp)),
  };
  await zip.entry('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8'));
  await zip.finish();
  opts.onProgress?.({ done, total });
  return { messages: done };
}

export interface EraseResult {
  messages: number;
  addresses: number;
  keys: number;
  sessions: number;
  user: boolean;
  /** Subscriptions canceled at Stripe and local billing rows deleted (issue 15). */
  billing: { canceled: number; records: number };
  /** Webhook deliveries and activity lines deleted (issue 11). */
  webhooks: { deliveries: number; activity: number };
  /** False when the WAL could not be truncated at once (a reader held it); the next checkpoint does it. */
  walTruncated: boolean;
}

/** Deletes everything held for the subject; see the top of this file. Safe to repeat. */
export async function eraseData(
  deps: { store: EngineStore; eraser: MessageEraser; billing?: { forgetAccount(userId: number): Promise<{ canceled: number; records: number }> } },
  s: Subject,
): Promise<EraseResult> {
  const { store, eraser } = deps;
  const result: EraseResult = { messages: 0, addresses: 0, keys: 0, sessions: 0, user: false, billing: { canceled: 0, records: 0 }, webhooks: { deliveries: 0, activity: 0 }, walTruncated: false };
  // Subscriptions are canceled at Stripe before anything is deleted (issue 15):
  // if Stripe cannot be reached the deletion stops here, with nothing gone and
  // nobody billed for an account that no longer exists.
  if (s.kind === 'account' && deps.billing) result.billing = await deps.billing.forgetAccount(s.userId);
  const inboxes = await inboxesOf(store, s);
  for (const inbox of inboxes) result.messages += await eraser.deleteMessages({ kind: 'inbox', inbox });
  // After the messages: an attempt that found its message gone meanwhile
  // logged a line, which goes too. One still in flight logs nothing once its
  // delivery is gone (WebhookStore.settle).
  for (const w of [...inboxes.map((address) => ({ address })), ...(s.kind === 'account' ? [{ userId: s.userId }] : [])]) {
    const f = await store.data.webhooks.forget(w);
    result.webhooks.deliveries += f.deliveries;
    result.webhooks.activity += f.activity;
  }
  if (s.kind === 'account') Object.assign(result, await store.data.users.eraseAccount(s.userId));
  // Search index merged, WAL truncated: no deleted word or page lingers (see the top of this file).
  result.walTruncated = (await eraser.scrub()).walTruncated;
  return result;
}

export type AccountDeletionRefusal = 'admin-key-user' | 'last-admin';

/**
 * Accounts that must not be deleted: the user the operator's admin key acts
 * as (it would be re-created at once), and the last admin (nobody could
 * manage Mailroom any more). The API, the admin page and the CLI ask here.
 */
export async function accountDeletionRefusal(store: EngineStore, config: Pick<Config, 'auth'>, user: User, adminUsername: string): Promise<AccountDeletionRefusal | null> {
  if (user.username === adminUsername && config.auth.adminKey) return 'admin-key-user';
  if (removesLastAdmin(user, await store.data.users.adminCount())) return 'last-admin';
  return null;
}
