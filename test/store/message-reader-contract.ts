// The MessageReader contract (issue 14): what both engines must answer
// alike, checked with the same cases against each one
// (message-reader-sqlite.test.ts, pg/message-reader.test.ts). Messages are
// written through each engine's real ingest path (the group-committed
// insert that earns the 250, then the processing result from the real
// parser), so the reads see exactly what receiving stores. Every assertion
// names concrete values, so passing on both engines means both answer the same.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflateRawSync } from 'node:zlib';
import { parseMessage } from '../../src/mail/parse.js';
import { encodeBody, RAW_DEFLATE_INLINE_MAX } from '../../src/store/body-codec.js';
import type { IncomingMessage, StoredIds } from '../../src/store/messages.js';
import type { ParsedMessage } from '../../src/mail/types.js';
import type { MessageReader } from '../../src/store/message-reader.js';
import { simpleMessage } from '../helpers/raw-smtp.js';

export interface ReaderEngine {
  reader: MessageReader;
  /** The engine's received-message write: resolves when it is durable (the 250). */
  receive(msg: IncomingMessage): Promise<StoredIds>;
  /** The engine's processing-result write (applyParse): the message becomes ready. */
  process(contentId: number, parsed: ParsedMessage, bodyZ: Buffer, rawZ?: Buffer): Promise<void>;
  createUser(username: string): Promise<number>;
  reserve(address: string, ownerId: number): Promise<void>;
}

const T0 = 1_800_000_000_000;

interface MailOpts {
  to: string[];
  subject?: string;
  body?: string;
  from?: string;
  raw?: Buffer;
  received?: number;
  capturedBy?: number;
  /** Stored only (the 250), not processed: not ready. */
  pending?: boolean;
}

export function messageReaderContract(test: Test, engine: ReaderEngine): void {
  const r = engine.reader;

  /** Receives and processes one message as the pipeline does; the id of its first copy, and all of them. */
  async function mail(o: MailOpts): Promise<StoredIds & { id: string; raw: Buffer }> {
    const raw = o.raw ?? Buffer.from(simpleMessage({ to: o.to.join(', '), subject: o.subject ?? 'hello', body: o.body, from: o.from }));
    const msg: IncomingMessage = {
      raw: Buffer.from(raw),
      mailFrom: 'sender@example.org',
      recipients: o.to.map((a) => ({ inbox: a.toLowerCase(), original: a, domain: a.split('@')[1]!.toLowerCase() })),
      ip: '192.0.2.7',
      helo: 'client.example',
      tls: true,
      received: o.received ?? Date.now(),
      capturedBy: o.capturedBy ?? null,
    };
    const ids = await engine.receive(msg);
    if (!o.pending) {
      const parsed = await parseMessage(raw);
      // What the parse worker hands back: the body encoded, and a large raw message deflated (stored as received before its 250).
      await engine.process(ids.contentId, parsed, encodeBody(parsed, raw), raw.length > RAW_DEFLATE_INLINE_MAX ? deflateRawSync(raw) : undefined);
    }
    return { ...ids, id: ids.messageIds[0]!, raw };
  }

  const subjects = async (ids: string[]) => Promise.all(ids.map(async (id) => (await r.get(id))?.subject));

  test('an inbox lists newest first, arrival order breaking ties, and pages by keyset without gaps or repeats', async () => {
    // Three arrivals per second: ties in `received` that seq must order.
    for (let i = 0; i < 8; i++) await mail({ to: ['page@mailroom.test'], subject: `p${i}`, received: T0 + Math.floor(i / 3) * 1000 });
    await mail({ to: ['page@mailroom.test'], subject: 'not ready', received: T0 + 9000, pending: true });
    const expected = ['p7', 'p6', 'p5', 'p4', 'p3', 'p2', 'p1', 'p0'];
    const all = await r.list('page@mailroom.test', { limit: 100 });
    assert.equal(all.map((m) => m.subject), expected, 'processing pending mail is not listed');
    const seen: string[] = [];
    let before: { received: number; seq: number } | undefined;
    for (;;) {
      const page = await r.list('page@mailroom.test', { limit: 3, before });
      if (!page.length) break;
      assert.ok(page.length <= 3);
      seen.push(...page.map((m) => m.subject));
      const last = page[page.length - 1]!;
      before = { received: last.received, seq: last.seq };
    }
    assert.equal(seen, expected);
    assert.equal((await r.list('page@mailroom.test', { until: T0 + 1000 })).map((m) => m.subject), ['p2', 'p1', 'p0'], 'until: strictly before');
    assert.equal(await subjects(await r.listIds({ kind: 'inbox', inbox: 'page@mailroom.test' }, { limit: 3, skip: 2 })), ['p5', 'p4', 'p3']);
    assert.equal(await subjects(await r.listIds({ kind: 'inbox', inbox: 'page@mailroom.test' }, { since: T0 + 1000, until: T0 + 2000 })), ['p5', 'p4', 'p3']);
    assert.equal((await r.listDomain('mailroom.test', { limit: 2 })).length, 2);
    assert.is(await r.count('page@mailroom.test'), 8);
    assert.is(await r.countAll('page@mailroom.test'), 9, 'countAll includes the pending one');
    assert.is(await r.countIn({ kind: 'inbox', inbox: 'page@mailroom.test' }), 8);
    assert.is(await r.count('nobody@mailroom.test'), 0);
  });

  test('idsInArrivalOrder: every message of the inbox, pending and captured too, in arrival order whatever their received time', async () => {
    const capturer = await engine.createUser('arrival-capturer');
    const first = await mail({ to: ['arrival@mailroom.test'], subject: 'a1', received: T0 + 2000 });
    const second = await mail({ to: ['arrival@mailroom.test', 'arrival-other@mailroom.test'], subject: 'a2', received: T0 });
    const third = await mail({ to: ['arrival@mailroom.test'], subject: 'a3', received: T0 + 1000, capturedBy: capturer });
    const fourth = await mail({ to: ['arrival@mailroom.test'], subject: 'a4', received: T0 - 1000, pending: true });
    assert.equal(await r.idsInArrivalOrder('arrival@mailroom.test'), [first.id, second.id, third.id, fourth.id]);
    assert.equal(await r.idsInArrivalOrder('arrival-other@mailroom.test'), [second.messageIds[1]]);
    assert.equal(await r.idsInArrivalOrder('nobody@mailroom.test'), []);
  });

  test('a message read back: its metadata, the raw source byte-exact, the parsed text and html, pending until processed', async () => {
    const raw = Buffer.from(
      [
        'From: Ana Núñez <ana@example.org>',
        'To: Meta <meta@mailroom.test>',
        'Cc: copy@example.net',
        'Subject: =?utf-8?q?Caf=C3=A9_r=C3=A9sum=C3=A9?=',
        'Message-ID: <meta-1@example.org>',
        'Date: Tue, 01 Dec 2026 10:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: multipart/alternative; boundary="alt"',
        '',
        '--alt',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Plain text with a link https://example.org/x',
        '--alt',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>HTML <b>part</b></p>',
        '--alt--',
        '',
      ].join('\r\n'),
    );
    const m = await mail({ to: ['Meta+Tag@mailroom.test'], raw, received: T0 });
    const v = (await r.get(m.id))!;
    assert.is(v.id, m.id);
    assert.is(v.contentId, m.contentId);
    assert.is(v.inbox, 'meta+tag@mailroom.test');
    assert.is(v.originalInbox, 'Meta+Tag@mailroom.test');
    assert.is(v.domain, 'mailroom.test');
    assert.is(v.received, T0);
    assert.is(v.size, raw.length);
    assert.is(v.mailFrom, 'sender@example.org');
    assert.equal(v.rcptTo, ['Meta+Tag@mailroom.test']);
    assert.equal([v.ip, v.helo, v.tls, v.capturedBy], ['192.0.2.7', 'client.example', true, null]);
    assert.equal([v.parseState, v.parseError], ['ok', '']);
    assert.is(v.subject, 'Café résumé');
    assert.equal(v.from, [{ name: 'Ana Núñez', address: 'ana@example.org' }]);
    assert.equal(v.cc.map((a) => a.address), ['copy@example.net']);
    assert.is(v.date, Date.UTC(2026, 11, 1, 10));
    assert.is(v.messageId, '<meta-1@example.org>');
    assert.equal(v.links, ['https://example.org/x']);
    assert.equal([v.read, v.starred, v.folder, v.labels, v.attachments], [false, false, 'inbox', [], []]);
    assert.ok((await r.raw(m.contentId))!.equals(raw));
    const body = (await r.body(m.contentId))!;
    assert.match(body.text, /Plain text with a link/);
    assert.match(body.html, /<b>part<\/b>/);
    assert.ok(body.headers.some(([k, val]) => k.toLowerCase() === 'message-id' && val.includes('meta-1')));
    const stored = await r.storedBody(m.contentId);
    assert.ok(stored && 'z' in stored, 'the compressed document, for a worker to decode');

    const pending = await mail({ to: ['meta@mailroom.test'], subject: 'later', pending: true });
    const p = (await r.get(pending.id))!;
    assert.equal([p.parseState, p.subject], ['pending', ''], 'get answers for a pending message (the caller decides)');
    assert.equal(await r.body(pending.contentId), { text: '', html: '', headers: [] });
    assert.ok((await r.raw(pending.contentId))!.equals(pending.raw));
    assert.is(await r.get('no-such-id'), null);
    assert.is(await r.raw(-1), null);
    assert.is(await r.body(-1), null);
  });

  test('pending count: acknowledged messages whose processing has not committed; the body of one is empty until then', async () => {
    const before = await r.pendingCount();
    const m = await mail({ to: ['pending-count@mailroom.test'], subject: 'counted', pending: true });
    assert.is(await r.pendingCount(), before + 1);
    assert.equal(await r.storedBody(m.contentId), { body: { text: '', html: '', headers: [] } });
    assert.is(await r.count('pending-count@mailroom.test'), 0);
    const parsed = await parseMessage(m.raw);
    await engine.process(m.contentId, parsed, encodeBody(parsed, m.raw));
    assert.is(await r.pendingCount(), before);
    assert.is(await r.count('pending-count@mailroom.test'), 1);
    assert.match((await r.body(m.contentId))!.text, /Hello from the test suite/);
    assert.is(await r.storedBody(-1), null);
  });

  test('raw bytes come back byte-exact: stored as is, deflated before the 250, deflated after it, and 8-bit', async () => {
    const tiny = Buffer.from(simpleMessage({ to: 'raw@mailroom.test', subject: 'tiny', body: 'x' }));
    const mid = Buffer.from(simpleMessage({ to: 'raw@mailroom.test', subject: 'mid', body: 'compressible line\r\n'.repeat(200) }));
    const large = Buffer.from(simpleMessage({ to: 'raw@mailroom.test', subject: 'large', body: 'large line of text\r\n'.repeat(3000) }));
    const eightBit = Buffer.concat([
      Buffer.from('From: a@example.org\r\nTo: raw@mailroom.test\r\nSubject: latin1\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x00, 0xff, 0x0d, 0x0a]),
    ]);
    assert.ok(large.length > RAW_DEFLATE_INLINE_MAX);
    for (const raw of [tiny, mid, large, eightBit]) {
      const m = await mail({ to: ['raw@mailroom.test'], raw });
      const back = await r.raw(m.contentId);
      assert.ok(back && back.equals(raw), `${raw.length} bytes`);
      assert.is((await r.get(m.id))!.size, raw.length);
    }
  });

  test('attachments: listed in order with their metadata, bytes by sha256, stored once, gone with the last message holding them', async () => {
    const withAttachments = (subject: string, extra: string) =>
      Buffer.from(
        [
          'From: carol@example.org',
          'To: files@mailroom.test',
          `Subject: ${subject}`,
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b"',
          '',
          '--b',
          'Content-Type: text/plain',
          '',
          'see attached',
          '--b',
          'Content-Type: application/pdf',
          'Content-Disposition: attachment; filename="shared.pdf"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('%PDF shared bytes').toString('base64'),
          '--b',
          'Content-Type: image/png',
          'Content-Disposition: inline; filename="own.png"',
          'Content-ID: <img1@example.org>',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from(extra).toString('base64'),
          '--b--',
          '',
        ].join('\r\n'),
      );
    const a = await mail({ to: ['files@mailroom.test'], raw: withAttachments('a', 'png of a') });
    const b = await mail({ to: ['files@mailroom.test'], raw: withAttachments('b', 'png of b') });
    const list = await r.attachments(a.contentId);
    assert.equal(
      list.map((x) => [x.idx, x.filename, x.contentType, x.size, x.cid, x.inline]),
      [
        [0, 'shared.pdf', 'application/pdf', 17, '', false],
        [1, 'own.png', 'image/png', 8, 'img1@example.org', true],
      ],
    );
    assert.equal((await r.get(a.id))!.attachments, list, 'the view carries the same list');
    assert.match(list[0]!.sha256, /^[0-9a-f]{64}$/);
    assert.match(list[0]!.md5, /^[0-9a-f]{32}$/);
    assert.is((await r.attachmentData(list[0]!.sha256))!.toString(), '%PDF shared bytes');
    assert.is((await r.attachmentData(list[1]!.sha256))!.toString(), 'png of a');
    const listB = await r.attachments(b.contentId);
    assert.is(listB[0]!.sha256, list[0]!.sha256, 'the same bytes, one blob');
    // Listed pages carry attachments too.
    const page = await r.list('files@mailroom.test');
    assert.equal(page.map((m) => m.attachments.length), [2, 2]);

    assert.ok(await r.delete(a.id));
    assert.is(await r.attachmentData(list[1]!.sha256), null, "a's own attachment went with it");
    assert.ok(await r.attachmentData(list[0]!.sha256), 'the shared one stays while b holds it');
    assert.equal(await r.attachments(a.contentId), []);
    assert.ok(await r.delete(b.id));
    assert.is(await r.attachmentData(list[0]!.sha256), null);
    assert.is(await r.attachmentData('0'.repeat(64)), null);
  });

  test('delete: one copy at a time; the content goes with the last one; deleting twice is false', async () => {
    const m = await mail({ to: ['del1@mailroom.test', 'del2@mailroom.test'], subject: 'two copies' });
    const [first, second] = m.messageIds as [string, string];
    assert.ok(await r.delete(first));
    assert.is(await r.get(first), null);
    assert.is(await r.count('del1@mailroom.test'), 0);
    assert.ok((await r.raw(m.contentId))!.equals(m.raw), 'the other copy still holds the content');
    assert.is((await r.get(second))!.subject, 'two copies');
    assert.not.ok(await r.delete(first));
    assert.ok(await r.delete(second));
    assert.is(await r.raw(m.contentId), null);
    assert.is(await r.body(m.contentId), null);
    assert.is(await r.countAll('del2@mailroom.test'), 0);
    assert.not.ok(await r.delete('no-such-id'));
  });

  test('stars, read flag, folder and labels: set, read back, and counted', async () => {
    const owner = await engine.createUser('starrer');
    await engine.reserve('flags@mailroom.test', owner);
    const a = await mail({ to: ['flags@mailroom.test'], subject: 'a', received: T0 });
    const b = await mail({ to: ['flags@mailroom.test'], subject: 'b', received: T0 + 1 });
    const elsewhere = await mail({ to: ['public-flags@mailroom.test'], subject: 'elsewhere', received: T0 + 2 });
    const scope = { kind: 'inbox' as const, inbox: 'flags@mailroom.test' };
    assert.is(await r.unread(scope), 2);

    await r.setStarred(a.id, true, owner);
    await r.setStarred(elsewhere.id, true, owner);
    assert.ok((await r.get(a.id))!.starred);
    assert.is(await r.savedBy(a.id), owner);
    assert.equal(await subjects(await r.starredIds({ kind: 'account', userId: owner }, owner)), ['elsewhere', 'a'], 'its own, and what it starred elsewhere');
    assert.equal(await subjects(await r.starredIds({ kind: 'account', userId: owner }, null)), ['a'], 'without a user: the scope only');
    await r.setStarred(a.id, false, null);
    assert.not.ok((await r.get(a.id))!.starred);
    assert.is(await r.savedBy(a.id), null);
    assert.equal(await subjects(await r.starredIds({ kind: 'all' }, owner)), ['elsewhere']);
    // Once the other inbox is someone else's, the star no longer lists there.
    const other = await engine.createUser('newowner');
    await engine.reserve('public-flags@mailroom.test', other);
    assert.equal(await r.starredIds({ kind: 'account', userId: owner }, owner), []);

    // Reserving an address drops the stars others put on its mail while it was public; the owner's stay.
    const reservedStar = await mail({ to: ['claimed@mailroom.test'], subject: 'claimed' });
    const ownStar = await mail({ to: ['claimed@mailroom.test'], subject: 'own star' });
    await r.setStarred(reservedStar.id, true, owner);
    await r.setStarred(ownStar.id, true, other);
    await r.dropForeignStars('claimed@mailroom.test', other);
    assert.equal([(await r.get(reservedStar.id))!.starred, await r.savedBy(reservedStar.id)], [false, null]);
    assert.equal([(await r.get(ownStar.id))!.starred, await r.savedBy(ownStar.id)], [true, other]);

    await r.setRead(b.id, true);
    assert.ok((await r.get(b.id))!.read);
    assert.is(await r.unread(scope), 1);
    await r.setRead(b.id, false);
    assert.is(await r.unread(scope), 2);

    await r.setFolder(b.id, 'archive');
    assert.is((await r.get(b.id))!.folder, 'archive');
    assert.equal(await subjects(await r.listIds(scope, { folder: 'archive' })), ['b']);
    assert.equal(await subjects(await r.listIds(scope, { folder: 'inbox' })), ['a']);

    await r.setLabels(a.id, ['work', 'ünïcode']);
    assert.equal((await r.get(a.id))!.labels, ['work', 'ünïcode']);
    await r.setLabels(a.id, []);
    assert.equal((await r.get(a.id))!.labels, []);
  });

  test('account scopes: owned addresses, usage in messages and bytes', async () => {
    const owner = await engine.createUser('scoper');
    await engine.reserve('mine@scope.test', owner);
    const m1 = await mail({ to: ['mine@scope.test'], subject: 'mine 1', received: T0 });
    const m2 = await mail({ to: ['mine@scope.test', 'theirs@scope.test'], subject: 'mine 2', received: T0 + 1 });
    await mail({ to: ['theirs@scope.test'], subject: 'theirs', received: T0 + 2 });
    await mail({ to: ['mine@scope.test'], subject: 'pending', pending: true });
    assert.equal(await subjects(await r.listIds({ kind: 'owner', userId: owner })), ['mine 2', 'mine 1']);
    assert.equal(await subjects(await r.listIds({ kind: 'domain', domain: 'scope.test' })), ['theirs', 'mine 2', 'mine 2', 'mine 1']);
    assert.equal(await subjects(await r.listIds({ kind: 'domain', domain: 'scope.test', userId: owner })), ['mine 2', 'mine 1']);
    assert.is(await r.countIn({ kind: 'owner', userId: owner }), 2);
    assert.equal(await r.usage({ kind: 'owner', userId: owner }), { messages: 2, bytes: m1.raw.length + m2.raw.length });
    assert.equal(await r.usage({ kind: 'owner', userId: -1 }), { messages: 0, bytes: 0 });
  });

  test('captured copies: listed, counted, opened and found only by the capturing account and admins', async () => {
    const capturer = await engine.createUser('capturer');
    const stranger = await engine.createUser('stranger');
    const asCapturer = { userId: capturer, admin: false };
    const asStranger = { userId: stranger, admin: false };
    const asAdmin = { userId: null, admin: true };
    const open = await mail({ to: ['shared-cap@mailroom.test'], subject: 'mx mail zanzibar', received: T0 });
    const cap = await mail({ to: ['shared-cap@mailroom.test'], subject: 'captured zanzibar', received: T0 + 1, capturedBy: capturer });
    const inbox = 'shared-cap@mailroom.test';

    assert.equal((await r.list(inbox)).map((m) => m.id), [open.id], 'no reader: no captured mail');
    assert.equal((await r.list(inbox, { reader: asStranger })).map((m) => m.id), [open.id]);
    assert.equal((await r.list(inbox, { reader: asCapturer })).map((m) => m.id), [cap.id, open.id]);
    assert.equal((await r.list(inbox, { reader: asAdmin })).map((m) => m.id), [cap.id, open.id]);
    assert.equal((await r.listDomain('mailroom.test', { reader: asStranger, limit: 1000 })).filter((m) => m.id === cap.id), []);
    assert.equal([await r.count(inbox), await r.count(inbox, asStranger), await r.count(inbox, asCapturer), await r.count(inbox, asAdmin)], [1, 1, 2, 2]);
    assert.is(await r.countAll(inbox), 2, 'countAll is what an erasure covers: everything');

    assert.is(await r.getInInbox(inbox, cap.id), null);
    assert.is(await r.getInInbox(inbox, cap.id, asStranger), null);
    assert.is((await r.getInInbox(inbox, cap.id, asCapturer))!.capturedBy, capturer);
    assert.ok(await r.getInInbox(inbox, cap.id, asAdmin));
    assert.is(await r.getInInbox('other@mailroom.test', open.id, asAdmin), null, 'an id from another inbox');
    assert.ok(await r.getInInbox(inbox, open.id));

    assert.equal(await r.listIds({ kind: 'account', userId: capturer }, { reader: asCapturer }), [cap.id], 'its captured mail, filed in a public inbox');
    assert.equal(await r.listIds({ kind: 'account', userId: capturer }), [], 'given no reader, none shows');
    assert.equal(await r.listIds({ kind: 'owner', userId: capturer }, { reader: asCapturer }), [], 'owner: owned inboxes only');
    assert.equal(await r.listIds({ kind: 'account', userId: stranger }, { reader: asStranger }), []);
    assert.equal(await r.search({ kind: 'all' }, 'zanzibar', { reader: asStranger }), [open.id]);
    assert.equal(await r.search({ kind: 'all' }, 'zanzibar', { reader: asCapturer }), [cap.id, open.id]);
    assert.equal(await r.search({ kind: 'all' }, 'zanzibar'), [open.id]);
    assert.is(await r.unread({ kind: 'inbox', inbox }, asCapturer), 2);
    assert.is(await r.unread({ kind: 'inbox', inbox }), 1);

    // Filed in another account's private domain: the capturer's account lists do not show it.
    const privateOwner = await engine.createUser('privateowner');
    await engine.reserve('private-cap@mailroom.test', privateOwner);
    const filed = await mail({ to: ['private-cap@mailroom.test'], subject: 'captured into a private inbox', received: T0 + 2, capturedBy: capturer });
    assert.not.ok((await r.listIds({ kind: 'account', userId: capturer }, { reader: asCapturer })).includes(filed.id));
  });

  test("Mailsac's inbox-search (matchAny): a substring of subject, inbox, envelope sender or a From/To address, as LIKE folds it", async () => {
    const inbox = 'mailsac@substr.test';
    const invoice = await mail({ to: [inbox], subject: 'Invoice 42 for ÉTÉ', from: 'Billing Dept <billing@vendor.example>', received: T0 });
    const percent = await mail({ to: [inbox], subject: '100% off_sale', from: 'promo@shop.example', received: T0 + 1 });
    await mail({ to: [inbox], subject: 'invoice pending', pending: true });
    const other = await mail({ to: ['elsewhere@substr.test'], subject: 'Invoice elsewhere', received: T0 + 2 });
    const here = { kind: 'inbox' as const, inbox };
    assert.equal(await r.matchAny(here, 'INVOICE'), [invoice.id], 'ASCII case folded; pending mail not searched');
    assert.equal(await r.matchAny({ kind: 'all' }, 'invoice'), [other.id, invoice.id]);
    assert.equal(await r.matchAny({ kind: 'all' }, 'invoice', { limit: 1 }), [other.id]);
    assert.equal(await r.matchAny(here, 'vendor.EXAMPLE'), [invoice.id], 'a From address');
    assert.equal(await r.matchAny(here, 'Billing Dept'), [], 'a display name is not an address');
    assert.equal(await r.matchAny(here, 'sender@example'), [percent.id, invoice.id], 'the envelope sender');
    assert.equal(await r.matchAny(here, 'MAILSAC@'), [percent.id, invoice.id], 'the inbox');
    assert.equal(await r.matchAny(here, '%'), [percent.id], '% taken literally');
    assert.equal(await r.matchAny(here, 'f_s'), [percent.id], '_ taken literally');
    assert.equal(await r.matchAny(here, 'f s'), []);
    assert.equal(await r.matchAny(here, 'address'), [], "the JSON's keys are not text");
    assert.equal(await r.matchAny(here, '"'), []);
    assert.equal(await r.matchAny(here, 'ÉTÉ'), [invoice.id]);
    assert.equal(await r.matchAny(here, 'été'), [], "LIKE folds ASCII letters only (SQLite's rule, kept on PostgreSQL)");
    assert.equal(await r.matchAny(here, ''), []);
  });

  test("Mailsac's inbox-filter: every given condition holds; read alone is a plain page", async () => {
    const inbox = 'filter@substr.test';
    const a = await mail({ to: [inbox], subject: 'Weekly Report', from: 'Boss <boss@corp.example>', received: T0 });
    const b = await mail({ to: [inbox], subject: 'weekly lunch', from: 'Chef <chef@corp.example>', received: T0 + 1 });
    const c = await mail({ to: [inbox], subject: 'Other', from: 'boss@corp.example', received: T0 + 2 });
    const here = { kind: 'inbox' as const, inbox };
    assert.equal(await r.filter(here, { subject: 'WEEKLY' }), [b.id, a.id]);
    assert.equal(await r.filter(here, { subject: 'weekly', from: 'boss@' }), [a.id], 'both must hold');
    assert.equal(await r.filter(here, { from: 'sender@example.org' }), [c.id, b.id, a.id], 'the envelope sender counts as from');
    assert.equal(await r.filter(here, { to: 'FILTER@substr.test' }), [c.id, b.id, a.id], 'the inbox, whatever the case');
    assert.equal(await r.filter(here, { to: 'nobody' }), []);
    await r.setRead(b.id, true);
    assert.equal(await r.filter(here, { read: true }), [b.id]);
    assert.equal(await r.filter(here, { read: false }), [c.id, a.id]);
    assert.equal(await r.filter(here, { read: false, subject: 'weekly' }), [a.id]);
    assert.equal((await r.filter(here, {}, { limit: 2 })).length, 2);
  });

  test('captured mail an account holds, ready or not', async () => {
    const user = await engine.createUser('capcounter');
    assert.is(await r.capturedCount(user), 0);
    await mail({ to: ['count-cap@mailroom.test'], capturedBy: user });
    await mail({ to: ['count-cap@mailroom.test', 'count-cap2@mailroom.test'], capturedBy: user, pending: true });
    await mail({ to: ['count-cap@mailroom.test'] });
    assert.is(await r.capturedCount(user), 3, 'one per copy');
  });

  test('search: every word, case and accents folded, prefixes, addresses as phrases, own inbox, scope and paging', async () => {
    const inbox = 'finder@search.test';
    const body = await mail({
      to: [inbox],
      subject: 'Quarterly Numbers',
      body: 'The xylophone arrived with a Crème brûlée and order 12345.',
      from: 'Alice Example <alice@example.com>',
      received: T0,
    });
    const other = await mail({ to: [inbox], subject: 'Unrelated memo', body: 'Nothing to see here, xylophone-free.', received: T0 + 1 });
    const pending = await mail({ to: [inbox], subject: 'pending xylophone', body: 'xylophone', pending: true });
    // Sent to a list: the headers name list@, the envelope zebra@ and yak@ (as for a Bcc).
    const listed = Buffer.from(simpleMessage({ to: 'list@search.test', subject: 'quarterly elsewhere', body: 'minutes' }));
    const elsewhere = await mail({ to: ['zebra@search.test', 'yak@search.test'], raw: listed, received: T0 + 2 });
    const yakCopy = elsewhere.messageIds[1]!;
    const all = { kind: 'all' as const };
    const here = { kind: 'inbox' as const, inbox };

    assert.equal(await r.search(here, 'xylophone'), [other.id, body.id], 'newest first');
    assert.equal(await r.search(here, 'XYLOPHONE arrived'), [body.id], 'every word, any case');
    assert.equal(await r.search(here, 'xylophone saxophone'), [], 'all words must appear');
    assert.not.ok((await r.search(all, 'xylophone')).includes(pending.id), 'nothing before it is ready');
    assert.equal(await r.search(here, 'creme BRULEE'), [body.id], 'accents folded');
    assert.equal(await r.search(here, 'crème'), [body.id]);
    assert.equal(await r.search(here, 'xylo*'), [other.id, body.id], 'a trailing * is a prefix');
    assert.equal(await r.search(here, 'xylo'), [], 'without * a word matches whole');
    assert.equal(await r.search(here, '12345'), [body.id]);
    assert.equal(await r.search(here, 'xylophone-free'), [other.id], 'a word of parts is a phrase of them');
    assert.equal(await r.search(here, 'alice@example.com'), [body.id], 'a header address typed whole');
    assert.equal(await r.search(here, 'alice'), [body.id]);
    assert.equal(await r.search(all, 'quarterly'), [yakCopy, elsewhere.id, body.id], 'every copy, newest first, the later copy first');
    assert.equal(await r.search(here, 'quarterly'), [body.id], 'the scope holds');
    assert.equal(await r.search(all, 'quarterly', { limit: 1 }), [yakCopy]);
    assert.equal(await r.search(all, 'quarterly', { limit: 2, skip: 1 }), [elsewhere.id, body.id]);
    assert.equal(await r.search(all, 'list@search.test'), [yakCopy, elsewhere.id], 'the header recipient is indexed');
    assert.equal(await r.search(all, 'zebra'), [elsewhere.id], "a local part finds the copies delivered to it, not the other recipients' copies");
    assert.equal(await r.search(all, 'ZEBRA@search.test'), [elsewhere.id], 'and so does the address');
    assert.equal(await r.search(all, 'zebra minutes'), [], 'two words: the envelope recipient is not a word of the message');
    assert.equal(await r.search(all, 'zeb'), [], 'a local part matches whole');
    assert.equal(await r.search(all, 'finder'), [other.id, body.id], 'found by its words and by its inbox: once each');
    assert.equal(await r.search(all, 'finder', { limit: 1 }), [other.id]);
    assert.equal(await r.search(all, 'finder', { limit: 1, skip: 1 }), [body.id]);
    assert.equal(await r.search(all, 'zebra', { skip: 1 }), []);
    assert.equal(await r.search(all, 'zebr_'), [], 'a wildcard typed in a local part is a character');
    assert.equal(await r.search(all, 'z%'), []);
    for (const q of ['', '   ', '*', '"', '&|!', ':*']) assert.equal(await r.search(all, q), [], `nothing searchable: ${JSON.stringify(q)}`);
    for (const q of ['(xylophone', 'xylophone"', "xylophone'", 'xylophone:*', '\u0000xylophone', 'xylophone AND', '-xylophone']) {
      assert.ok((await r.search(here, q)).includes(body.id), `typed text is text: ${JSON.stringify(q)}`);
    }
  });
}
