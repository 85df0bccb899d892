// Shared set-up for the API tests: a real Mailroom on 127.0.0.1:0 with a temp
// store, users with keys, and mail delivered over SMTP or straight into the
// store (for volume).
import nodemailer from 'nodemailer';
import { createHash } from 'node:crypto';
import { startTestMailroom } from '../helpers/mailroom.js';
import { ensureAdmin } from '../../src/http/middleware/principal.js';
import { parseMessage } from '../../src/mail/parse.js';
import type { Store } from '../../src/store/index.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export type TestMailroom = Awaited<ReturnType<typeof startTestMailroom>>;

export async function startApiMailroom(overrides: Parameters<typeof startTestMailroom>[0] = {}, options: Parameters<typeof startTestMailroom>[1] = {}) {
  const m = await startTestMailroom({ auth: { adminKey: ADMIN_KEY }, ...overrides } as Parameters<typeof startTestMailroom>[0], options);
  await ensureAdmin(m.store, m.config);
  return m;
}

export async function makeUser(store: Store, username: string, role: 'user' | 'admin' = 'user'): Promise<{ id: number; key: string }> {
  const u = await store.users.create({ username, role });
  return { id: u.id, key: store.keys.create(u.id, `${username}-key`).key };
}

export interface SendOptions {
  from?: string;
  to: string | string[];
  cc?: string;
  subject: string;
  text?: string;
  html?: string;
  attachments?: Array<{ filename: string; content: Buffer | string; contentType?: string; cid?: string }>;
  headers?: Record<string, string>;
}

/** Delivers over real SMTP and waits until the parse queue has caught up. */
export async function sendMail(m: TestMailroom, opts: SendOptions): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: m.smtpAddress.port, secure: false, ignoreTLS: true, tls: { rejectUnauthorized: false } });
  try {
    await transport.sendMail({ from: opts.from ?? 'Sender Person <sender@example.org>', ...opts });
  } finally {
    transport.close();
  }
  await m.parseQueue.idle();
}

/** Stores a message directly (as the receiver would) and parses it: for tests that need thousands. */
export async function storeRaw(store: Store, raw: string, inbox: string, received = Date.now()): Promise<{ id: string; contentId: number }> {
  const [local, domain] = inbox.split('@') as [string, string];
  const ids = store.transaction(() =>
    store.messages.insertReceived({
      raw: Buffer.from(raw),
      mailFrom: 'sender@example.org',
      recipients: [{ inbox, original: inbox, domain }],
      ip: '127.0.0.1',
      helo: 'localhost',
      tls: false,
      received,
    }),
  );
  void local;
  store.messages.applyParse(ids.contentId, await parseMessage(Buffer.from(raw)));
  return { id: ids.messageIds[0]!, contentId: ids.contentId };
}

export function rawMessage(o: { to: string; subject: string; text: string; from?: string; attachment?: { filename: string; content: string } }): string {
  const head = [`From: ${o.from ?? 'Sender <sender@example.org>'}`, `To: ${o.to}`, `Subject: ${o.subject}`, 'Date: Mon, 2 Jun 2025 10:00:00 +0000', `Message-ID: <${Math.random().toString(36).slice(2)}@example.org>`, 'MIME-Version: 1.0'];
  if (!o.attachment) return [...head, 'Content-Type: text/plain; charset=utf-8', '', o.text, ''].join('\r\n');
  const b = 'b0undary';
  return [
    ...head,
    `Content-Type: multipart/mixed; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.text,
    `--${b}`,
    `Content-Type: application/octet-stream; name="${o.attachment.filename}"`,
    `Content-Disposition: attachment; filename="${o.attachment.filename}"`,
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(o.attachment.content).toString('base64'),
    `--${b}--`,
    '',
  ].join('\r\n');
}

export const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');

export async function api(m: { http: string }, method: string, path: string, opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key !== undefined) headers['Mailsac-Key'] = opts.key;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(m.http + path, { method, headers, body });
  const text = await res.text();
  let json: any = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, text, json, headers: res.headers };
}
