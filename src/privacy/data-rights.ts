// The reader's rights over their data (issue 4; policy: "see what data we
// have about you ... have us delete any data we have about you"):
// - exportData(): everything held for an address or an account, streamed as
//   a ZIP holding one mbox per address (mboxrd) and manifest.json (metadata,
//   labels, flags, the account and its keys' metadata, audit entries about
//   them). Never held whole in memory.
// - eraseData(): everything held for an address (its messages, raw source,
//   parsed text, attachments no other message shares, search index entries,
//   whose index pages are merged at once so the deleted words go too)
//   or an account (that for each of its addresses, then the addresses, keys,
//   sessions and the user), then the WAL is checkpointed and truncated so the
//   deleted bytes are in neither the file nor the WAL (secure_delete is on,
//   and the search index deletes its terms at once, migration 004).
//   Idempotent: erasing again finds nothing and succeeds.
// Both run on the caller's connection in small batches with a turn of the
// event loop in between, like retention.
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import type { MessageView } from '../store/messages.js';
import type { AuditEntry } from '../store/audit.js';
import { checkpoint } from '../jobs/retention.js';
import { ZipWriter, safeEntryName } from './zip.js';

export type Subject = { kind: 'address'; inbox: string } | { kind: 'account'; userId: number };

const BATCH = 200;
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The inboxes a subject covers: the address itself, or every address the account owns. */
export function inboxesOf(store: Store, s: Subject): string[] {
  if (s.kind === 'address') return [s.inbox];
  return store.addresses.listForOwner(s.userId).map((a) => a.address);
}

function messageIds(store: Store, inbox: string): string[] {
  return store.db.prepare(`SELECT id FROM messages WHERE inbox = ? ORDER BY seq`).pluck().all(inbox) as string[];
}

export function countMessages(store: Store, s: Subject): number {
  // Every stored message, ready or not: an export or erasure covers them all (issue 10).
  return inboxesOf(store, s).reduce((n, inbox) => n + store.messages.countAll(inbox), 0);
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

/** Streams the export ZIP to `emit`. Returns how many messages it holds. */
export async function exportData(store: Store, s: Subject, emit: (chunk: Buffer) => void | Promise<void>, opts: ExportOptions): Promise<{ messages: number }> {
  const showIp = opts.config.privacy.storeSenderIp;
  const now = opts.now ?? Date.now();
  const zip = new ZipWriter(emit, new Date(now));
  const inboxes = inboxesOf(store, s);
  const total = countMessages(store, s);
  const manifestMessages: Record<string, unknown>[] = [];
  const targets = new Set<string>(inboxes);
  let done = 0;
  for (const inbox of inboxes) {
    const mbox = safeEntryName(`mbox/${inbox.replace(/\//g, '_')}.mbox`);
    await zip.begin(mbox);
    const ids = messageIds(store, inbox);
    for (let i = 0; i < ids.length; i++) {
      const m = store.messages.get(ids[i]!);
      if (!m) continue; // deleted meanwhile
      const raw = store.messages.raw(m.contentId);
      if (raw) await zip.write(mboxEntry(raw, m.mailFrom, m.received));
      manifestMessages.push(messageManifest(m, mbox, showIp));
      targets.add(m.id);
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
    const u = store.users.byId(s.userId);
    if (u) {
      targets.add(u.username);
      account = {
        username: u.username,
        email: u.email,
        role: u.role,
        created: new Date(u.created).toISOString(),
        lastLogin: u.lastLogin === null ? null : new Date(u.lastLogin).toISOString(),
        // Keys are stored only as hashes: their names and first characters are all there is.
        apiKeys: store.keys.listForUser(u.id).map((k) => ({
          name: k.name,
          startsWith: k.hint,
          created: new Date(k.created).toISOString(),
          lastUsed: k.lastUsed === null ? null : new Date(k.lastUsed).toISOString(),
          revoked: k.revoked === null ? null : new Date(k.revoked).toISOString(),
        })),
      };
    }
  }
  const addresses = inboxes.map((inbox) => {
    const a = store.addresses.get(inbox);
    return a
      ? { address: a.address, private: true, owner: a.ownerName, info: a.info, forward: a.forward, webhook: a.webhook, webhookSlack: a.webhookSlack, created: new Date(a.created).toISOString() }
      : { address: inbox, private: false };
  });
  // What was done about this data, and (for an account) what the account itself did.
  const audit = store.audit.about([...targets]);
  if (s.kind === 'account') {
    const seen = new Set(audit.map((e) => e.id));
    for (const e of store.audit.byActor(s.userId)) if (!seen.has(e.id)) audit.push(e);
    audit.sort((a, b) => a.id - b.id);
  }
  const manifest = {
    format: 'mailroom-export/1',
    generated: new Date(now).toISOString(),
    subject: s.kind === 'address' ? { address: s.inbox } : { account: account?.username ?? null },
    notes: [
      'Each mbox file is mboxrd (RFC 4155): the messages exactly as received, line ends as LF.',
      showIp ? 'ip and helo are the sending host as it connected.' : 'This Mailroom does not store sending hosts (privacy.storeSenderIp is off).',
    ],
    account,
    addresses,
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
  /** False when the WAL could not be truncated at once (a reader held it); the next checkpoint does it. */
  walTruncated: boolean;
}

/** Deletes everything held for the subject; see the top of this file. Safe to repeat. */
export async function eraseData(store: Store, s: Subject): Promise<EraseResult> {
  const { db } = store;
  const result: EraseResult = { messages: 0, addresses: 0, keys: 0, sessions: 0, user: false, walTruncated: false };
  const tx = db.transaction((ids: string[]) => {
    let n = 0;
    for (const id of ids) if (store.messages.delete(id)) n++;
    return n;
  });
  for (const inbox of inboxesOf(store, s)) {
    for (;;) {
      const ids = db.prepare(`SELECT id FROM messages WHERE inbox = ? LIMIT ?`).pluck().all(inbox, BATCH) as string[];
      if (!ids.length) break;
      // IMMEDIATE: take the write lock first, so a concurrent commit cannot turn into SQLITE_BUSY mid-way.
      result.messages += tx.immediate(ids);
      await yieldTurn();
    }
  }
  if (s.kind === 'account') {
    db.transaction(() => {
      result.addresses = db.prepare(`DELETE FROM addresses WHERE owner_id = ?`).run(s.userId).changes;
      result.keys = db.prepare(`DELETE FROM api_keys WHERE user_id = ?`).run(s.userId).changes;
      result.sessions = db.prepare(`DELETE FROM sessions WHERE user_id = ?`).run(s.userId).changes;
      db.prepare(`UPDATE messages SET saved_by = NULL WHERE saved_by = ?`).run(s.userId);
      result.user = db.prepare(`DELETE FROM users WHERE id = ?`).run(s.userId).changes > 0;
    }).immediate();
  }
  // The search index is contentless: a deleted row leaves a tombstone and its
  // words stay in the index pages until segments are merged. 'optimize'
  // merges them all now, so none of the deleted words remain.
  if (result.messages > 0) db.prepare(`INSERT INTO message_fts (message_fts) VALUES ('optimize')`).run();
  // Fold the WAL into the file and truncate it: the old pages (with the deleted
  // content) are overwritten in the file and gone from the WAL.
  for (let attempt = 0; attempt < 5 && !result.walTruncated; attempt++) {
    result.walTruncated = !checkpoint(store).busy;
    if (!result.walTruncated) await new Promise((r) => setTimeout(r, 50));
  }
  return result;
}
