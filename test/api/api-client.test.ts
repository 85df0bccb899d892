// The official @mailsac/api client against a real Mailroom (issue 3, "Done
// means"): mail goes in over SMTP, every client method Mailroom serves is
// called, and each answer is checked field by field against what was sent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mailsac } from '@mailsac/api';
import { isIP } from 'node:net';
import { ADMIN_KEY, makeUser, md5, sendMail, startApiMailroom, type TestMailroom } from './_helpers.js';
import { sqlValue } from '../helpers/database-file.js';

let m: TestMailroom;
let owner: Mailsac<unknown>;
let other: Mailsac<unknown>;
let admin: Mailsac<unknown>;
let anon: Mailsac<unknown>;
let t0: number;

const INBOX = 'client.owner@mailroom.test';
const TAGGED = 'Client.Owner+ci@mailroom.test';
const PUBLIC = 'client.public@mailroom.test';
const PDF = Buffer.from('%PDF-1.4\n% a tiny pretend pdf for the attachment test\n%%EOF\n');
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a2d5f6f30000000049454e44ae426082', 'hex');

const client = (key?: string) => new Mailsac({ baseURL: `${m.http}/api`, headers: key ? { 'Mailsac-Key': key } : {} });

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    return (err as { response?: { status: number } }).response?.status ?? -1;
  }
}

test.before(async () => {
  m = await startApiMailroom();
  const o = await makeUser(m.store, 'clientowner');
  const x = await makeUser(m.store, 'clientother');
  owner = client(o.key);
  other = client(x.key);
  admin = client(ADMIN_KEY);
  anon = client();
  t0 = Date.now();
});

test.after(async () => {
  await m?.cleanup();
});

test('addresses: reserve, read, availability, update, bulk, list', async () => {
  const before = await owner.addresses.checkAvailability(INBOX);
  assert.equal(before.data, { available: true, email: INBOX, owned: false });

  const created = await owner.addresses.createAddress(INBOX, { info: 'ci inbox' });
  assert.is(created.data._id, INBOX);
  assert.is(created.data.owner, 'clientowner');
  assert.is(created.data.info, 'ci inbox');
  assert.is(created.data.forward, null);
  assert.ok(Date.parse(created.data.created!) >= t0 - 1000);

  const again = await status(owner.addresses.createAddress(INBOX, {}));
  assert.is(again, 400, 'already yours');
  assert.is(await status(other.addresses.createAddress(INBOX, {})), 401, 'owned by another account (Mailsac: 401)');

  const after = await other.addresses.checkAvailability(INBOX);
  assert.equal(after.data, { available: false, email: INBOX, owned: true });

  const got = await owner.addresses.getAddress(TAGGED);
  assert.is(got.data._id, INBOX, '+tag and case resolve to the inbox');
  assert.is(got.data.owner, 'clientowner');
  assert.is(await status(other.addresses.getAddress(INBOX)), 401);
  const unowned = await other.addresses.getAddress(PUBLIC);
  assert.is(unowned.data._id, PUBLIC);
  assert.not.ok('owner' in unowned.data);

  const updated = await owner.addresses.updateAddress(INBOX, { forward: 'dest@example.test', webhook: 'https://hooks.example.org/in', enablews: true, webhookSlackToFrom: true, info: 'edited' });
  assert.is(updated.status, 200);
  const reread = await owner.addresses.getAddress(INBOX);
  assert.is(reread.data.forward, 'dest@example.test');
  assert.is(reread.data.webhook, 'https://hooks.example.org/in');
  assert.is((reread.data as { enablews?: boolean }).enablews, true);
  assert.is(reread.data.webhookSlackToFrom, true);
  assert.is(reread.data.info, 'edited');
  // PUT with no body changes nothing.
  await owner.addresses.updateAddress(INBOX, undefined as never);
  assert.is((await owner.addresses.getAddress(INBOX)).data.forward, 'dest@example.test');
  assert.is(await status(owner.addresses.updateAddress(INBOX, { forward: 'not an address' })), 400);
  // Forwarding now delivers (issue 11): turned off again so later mail stays in INBOX alone.
  await owner.addresses.updateAddress(INBOX, { forward: '' });

  const bulk = await owner.addresses.createAddresses({ addresses: ['bulk1@mailroom.test', 'Bulk2+x@mailroom.test'] });
  assert.equal(bulk.data.map((a) => a._id), ['bulk1@mailroom.test', 'bulk2@mailroom.test']);
  // All or nothing: one taken address reserves none.
  assert.is(await status(other.addresses.createAddresses({ addresses: ['bulk3@mailroom.test', 'bulk1@mailroom.test'] })), 400);
  assert.is((await other.addresses.checkAvailability('bulk3@mailroom.test')).data.available, true);

  const list = await owner.addresses.listAddresses();
  assert.equal(list.data.map((a) => a._id), ['bulk1@mailroom.test', 'bulk2@mailroom.test', INBOX]);
  assert.ok(list.data.every((a) => a.owner === 'clientowner'));

  const released = await owner.addresses.deleteAddress('bulk2@mailroom.test', {});
  assert.is(released.status, 200);
  assert.is((await owner.addresses.checkAvailability('bulk2@mailroom.test')).data.available, true);
  assert.is(await status(owner.addresses.deleteAddress('bulk2@mailroom.test', {})), 400);
});

let full: any;
let plain: any;

test('messages: delivered over SMTP, listed and read field by field', async () => {
  await sendMail(m, {
    from: 'Alice Example <alice@example.org>',
    to: [TAGGED],
    cc: 'Carol <carol@example.net>',
    subject: 'Quarterly report ✓',
    text: 'Hello owner, see https://example.org/report?q=1 for details.',
    html: '<p>Hello <b>owner</b>, <a href="https://example.org/report?q=1">report</a><img src="cid:logo@mailroom"><script>alert(1)</script></p>',
    attachments: [
      { filename: 'report.pdf', content: PDF, contentType: 'application/pdf' },
      { filename: 'logo.png', content: PNG, contentType: 'image/png', cid: 'logo@mailroom' },
    ],
    headers: { 'X-Custom-Test': 'custom value' },
  });
  await sendMail(m, { from: 'bob@example.org', to: INBOX, subject: 'second, plain', text: 'just text' });

  const count = await owner.messages.countMessages(INBOX);
  assert.equal(count.data, { count: 2, inbox: INBOX });

  const list = await owner.messages.listMessages(TAGGED, {});
  assert.is(list.data.length, 2);
  assert.is(list.data[0]!.subject, 'second, plain', 'newest first');
  full = list.data[1];
  plain = list.data[0];
  assert.type(full._id, 'string');
  assert.equal(full.from, [{ address: 'alice@example.org', name: 'Alice Example' }]);
  assert.equal(full.to, [{ address: TAGGED, name: '' }]);
  assert.equal(full.cc, [{ address: 'carol@example.net', name: 'Carol' }]);
  assert.equal(full.bcc, []);
  assert.is(full.subject, 'Quarterly report ✓');
  assert.is(full.inbox, INBOX);
  assert.is(full.originalInbox, TAGGED);
  assert.is(full.domain, 'mailroom.test');
  assert.ok(Date.parse(full.received) >= t0 - 1000 && Date.parse(full.received) <= Date.now());
  assert.equal([...full.attachments].sort(), [md5(PDF), md5(PNG)].sort());
  assert.is(full.ip, '127.0.0.1');
  assert.is(full.folder, 'inbox');
  assert.equal(full.labels, []);
  assert.is(full.read, null, 'never read: null, as Mailsac');
  assert.ok(isIP(full.via) !== 0, `via is an IP address: ${full.via}`);
  assert.is(full.rtls, false);
  assert.ok(full.links.includes('https://example.org/report?q=1'));
  assert.is(full.spam, 0);
  assert.is(full.savedBy, null);
  assert.is(full.starred, false);

  const meta = await owner.messages.getMessageMetadata(INBOX, full._id);
  assert.equal(meta.data, full);

  const raw = await owner.messages.getFullRawMessage(INBOX, full._id, {});
  const rawText = String(raw.data);
  assert.ok(rawText.includes('Subject: '));
  assert.ok(rawText.includes('X-Custom-Test: custom value'));
  assert.is(Buffer.byteLength(rawText), full.size, 'size is the raw size');

  const until = await owner.messages.listMessages(INBOX, { until: plain.received as never, limit: 5 });
  assert.equal(until.data.map((x) => x._id), plain.received === full.received ? [] : [full._id]);
  const limited = await owner.messages.listMessages(INBOX, { limit: 1 });
  assert.equal(limited.data.map((x) => x._id), [plain._id]);

  // Other people and no key: one answer.
  assert.is(await status(other.messages.listMessages(INBOX, {})), 403);
  assert.is(await status(anon.messages.getMessageMetadata(INBOX, full._id)), 403);
  assert.is(await status(other.messages.countMessages(INBOX)), 403);
  assert.is(await status(owner.messages.getMessageMetadata(INBOX, 'no-such-id')), 404);
});

test('bodies and headers', async () => {
  const text = await owner.messages.getBodyPlainText(INBOX, full._id, {});
  assert.is(String(text.data).trim(), 'Hello owner, see https://example.org/report?q=1 for details.');

  const body = await owner.messages.getBodySanitized(INBOX, full._id, {});
  const safe = String(body.data);
  assert.ok(safe.includes('<b>owner</b>'));
  assert.not.ok(safe.includes('<script'));
  assert.not.ok(safe.includes('cid:'));
  assert.ok(String(body.headers['content-security-policy']).startsWith('sandbox'));

  const dirty = await owner.messages.getBodyDirty(INBOX, full._id, {});
  const d = String(dirty.data);
  assert.ok(d.includes('<script>alert(1)</script>'), 'dirty is the original');
  assert.ok(d.includes(`data:image/png;base64,${PNG.toString('base64')}`), 'cid image inlined');
  assert.ok(String(dirty.headers['content-security-policy']).startsWith('sandbox'));

  const dl = await owner.messages.getBodyPlainText(INBOX, full._id, { download: 1 });
  assert.match(String(dl.headers['content-disposition']), /^attachment; filename="[^"]+\.txt"$/);

  const json = await owner.messages.getHeaders(INBOX, full._id, {});
  const grouped = json.data as unknown as Record<string, string[]>;
  assert.equal(grouped['x-custom-test'], ['custom value']);
  assert.equal(grouped['subject'], ['Quarterly report ✓']);
  const ordered = await owner.messages.getHeaders(INBOX, full._id, { messageHeadersFormat: 'json-ordered' });
  const list = ordered.data as unknown as Array<{ name: string; value: string }>;
  assert.ok(list.some((h) => h.name === 'x-custom-test' && h.value === 'custom value'));
  assert.is(list[list.length - 1]!.name !== undefined, true);
  const plainHeaders = await owner.messages.getHeaders(INBOX, full._id, { messageHeadersFormat: 'plain' });
  assert.ok(String(plainHeaders.data).includes('X-Custom-Test: custom value'));

  // The plain message: simple HTML is made from its text.
  const made = await owner.messages.getBodySanitized(INBOX, plain._id, {});
  assert.ok(String(made.data).includes('just text'));
});

test('attachments: list and download by md5, cid and filename', async () => {
  const list = await owner.attachments.listMessageAttachments(INBOX, full._id);
  const items = list.data as unknown as Array<Record<string, unknown>>;
  const pdf = items.find((a) => a.fileName === 'report.pdf')!;
  assert.equal(pdf, { checksum: md5(PDF), contentDisposition: 'attachment', contentId: pdf.contentId, contentType: 'application/pdf', fileName: 'report.pdf', length: PDF.length, transferEncoding: 'base64' });
  const png = items.find((a) => a.fileName === 'logo.png')!;
  assert.is(png.contentId, 'logo@mailroom');
  assert.is(png.checksum, md5(PNG));

  // The generated client always asks axios for text, so compare text here and bytes with fetch below.
  for (const ident of [md5(PDF), 'report.pdf']) {
    const got = await owner.attachments.downloadAttachment(INBOX, full._id, ident);
    assert.is(String(got.data), PDF.toString('latin1'), ident);
    assert.match(String(got.headers['content-disposition']), /attachment; filename="report.pdf"/);
  }
  const byCid = await owner.attachments.downloadAttachment(INBOX, full._id, 'logo@mailroom');
  assert.is(byCid.headers['content-type'], 'image/png');
  const bytes = await fetch(`${m.http}/api/addresses/${INBOX}/messages/${full._id}/attachments/logo%40mailroom`, { headers: { 'Mailsac-Key': (owner.instance.defaults.headers as any)['Mailsac-Key'] } });
  assert.ok(Buffer.from(await bytes.arrayBuffer()).equals(PNG));
  assert.is(await status(owner.attachments.downloadAttachment(INBOX, full._id, 'nope.txt')), 404);
  assert.is(await status(other.attachments.downloadAttachment(INBOX, full._id, md5(PDF))), 403);
});

test('star, labels, folder, read status, starred list', async () => {
  const starred = await owner.messages.toggleMessageStar(INBOX, full._id);
  assert.is((starred.data as any).starred, true);
  assert.is((starred.data as any).savedBy, 'clientowner');
  assert.is((starred.data as any)._id, full._id);
  const stars = await owner.messages.listStarredMessages();
  assert.equal(stars.data.map((x) => x._id), [full._id]);
  assert.equal((await other.messages.listStarredMessages()).data, []);

  const l1 = await owner.messages.addMessageLabel(INBOX, full._id, 'business archive');
  assert.equal(l1.data, { _id: full._id, labels: ['business archive'] });
  const l2 = await owner.messages.addMessageLabel(INBOX, full._id, 'business archive');
  assert.equal(l2.data.labels, ['business archive'], 'adding twice keeps one');
  await owner.messages.addMessageLabel(INBOX, full._id, 'second');
  const l3 = await owner.messages.deleteMessageLabel(INBOX, full._id, 'business archive');
  assert.equal(l3.data, { _id: full._id, labels: ['second'] });

  const f = await owner.messages.setMessageFolder(INBOX, full._id, 'spam' as never);
  assert.equal(f.data, { _id: full._id, folder: 'spam' });
  assert.is(await status(owner.messages.setMessageFolder(INBOX, full._id, 'nowhere' as never)), 400);

  const r = await owner.messages.setMessageReadStatus(INBOX, full._id, true);
  assert.equal(r.data as unknown, { _id: full._id, read: true });

  const meta = (await owner.messages.getMessageMetadata(INBOX, full._id)).data as any;
  assert.is(meta.folder, 'spam');
  assert.is(meta.read, true);
  assert.equal(meta.labels, ['second']);
  assert.is(meta.savedBy, 'clientowner');

  const unstarred = await owner.messages.toggleMessageStar(INBOX, full._id);
  assert.is((unstarred.data as any).savedBy, null);
  assert.is((unstarred.data as any).starred, false);
  await owner.messages.toggleMessageStar(INBOX, full._id);
});

test('account-wide: inbox, filter, search, domains', async () => {
  await sendMail(m, { from: 'public@example.org', to: PUBLIC, subject: 'public mail', text: 'anyone can read this' });
  const inbox = await owner.messages.listInboxMessages({ limit: 10 });
  assert.equal(inbox.data.messages!.map((x: any) => x._id), [plain._id, full._id]);
  assert.is(inbox.data.unread, 1);
  assert.is(inbox.data.limit, 10);
  assert.is(inbox.data.skip, 0);
  const skipped = await owner.messages.listInboxMessages({ limit: 10, skip: 1 });
  assert.equal(skipped.data.messages!.map((x: any) => x._id), [full._id]);

  const filtered = await owner.messages.filterInboxMessages({ andFrom: 'alice@example.org', andSubjectIncludes: 'quarterly' });
  assert.equal(filtered.data.messages!.map((x: any) => x._id), [full._id]);
  const none = await owner.messages.filterInboxMessages({ andFrom: 'alice@example.org', andSubjectIncludes: 'second' });
  assert.equal(none.data.messages, []);
  const unread = await owner.messages.filterInboxMessages({ andRead: false });
  assert.equal(unread.data.messages!.map((x: any) => x._id), [plain._id]);
  assert.is(await status(owner.messages.filterInboxMessages({})), 400);

  // Mailsac's inbox-search (issue 12): a substring of the subject, a From or a To address, any one of them.
  const search = await owner.messages.searchInboxMessages({ query: 'QUARTERLY rep' });
  assert.is(search.data.query, 'QUARTERLY rep');
  assert.equal(search.data.messages!.map((x: any) => x._id), [full._id]);
  const byAddress = await owner.messages.searchInboxMessages({ query: 'alice@example' });
  assert.equal(byAddress.data.messages!.map((x: any) => x._id), [full._id]);
  const byTo = await owner.messages.searchInboxMessages({ query: 'client.owner' });
  assert.equal(byTo.data.messages!.map((x: any) => x._id).sort(), [plain._id, full._id].sort());
  assert.equal((await owner.messages.searchInboxMessages({ query: 'details' })).data.messages, [], 'the body is not searched (Mailsac)');
  assert.equal((await other.messages.searchInboxMessages({ query: 'quarterly' })).data.messages, []);

  const domains = await owner.domains.listDomains();
  assert.equal(domains.data.map((d) => d._id), m.config.domains);
  const domain = await owner.domains.getDomain('mailroom.test');
  assert.is((domain.data as any).domain._id, 'mailroom.test');
  assert.is((domain.data as any).totalMessages, 2);
  const adminDomain = await admin.domains.getDomain('mailroom.test');
  assert.is((adminDomain.data as any).totalMessages, 3);

  const dm = await owner.messages.listDomainMessages('mailroom.test', {});
  assert.equal(dm.data.map((x: any) => x._id), [plain._id, full._id]);
  const adm = await admin.messages.listDomainMessages('mailroom.test', { limit: 1 });
  assert.is(adm.data.length, 1);
  assert.is((adm.data[0] as any).inbox, PUBLIC);
});

test('account: me and stats', async () => {
  const me = await owner.account.user();
  assert.is(me.data._id, 'clientowner');
  assert.is((me.data as any).role, 'user');
  assert.is(me.data.apiKeyName, 'clientowner-key');
  const stats = await owner.account.accountStats({} as never);
  assert.equal(stats.data.addresses, ['bulk1@mailroom.test', INBOX]);
  assert.equal(stats.data.domains, m.config.domains);
  assert.is(stats.data.starredMessages, 1);
  assert.is(stats.data.storedMessages, 2);
  assert.is(stats.data.inboxBytes, full.size + plain.size);
  const adminMe = await admin.account.user();
  assert.is((adminMe.data as any).role, 'admin');
  assert.is(await status(anon.account.user()), 401);
});

test('out of scope answers 501 with JSON', async () => {
  for (const call of [() => owner.emailValidation.validateAddress('a@b.c'), () => owner.messageStats.listTopPublicSenders({} as never)]) {
    try {
      await call();
      assert.unreachable('should fail');
    } catch (err) {
      const res = (err as { response: { status: number; data: { message: string } } }).response;
      assert.is(res.status, 501);
      assert.type(res.data.message, 'string');
    }
  }
});

test('deleting: one message, an inbox (starred kept), a domain, releasing with mail', async () => {
  const del = await owner.messages.deleteMessage(INBOX, plain._id);
  assert.equal(del.data, { _id: plain._id, inbox: INBOX, message: 'Message was deleted.' });
  assert.is(await status(owner.messages.getMessageMetadata(INBOX, plain._id)), 404);

  await sendMail(m, { to: INBOX, subject: 'to be wiped', text: 'bye' });
  const wipe = await owner.messages.deleteAllMessages(INBOX, {} as never);
  assert.is(wipe.status, 204);
  assert.equal((await owner.messages.listMessages(INBOX, {})).data.map((x) => x._id), [full._id], 'the starred one stays');
  assert.is(await status(other.messages.deleteAllMessages(PUBLIC, {} as never)), 403, 'public inboxes are not anyone\'s to wipe');

  const released = await owner.addresses.deleteAddress(INBOX, { deleteAddressMessages: true });
  assert.is(released.status, 200);
  assert.equal((await anon.messages.listMessages(INBOX, {})).data, [], 'its mail went with it');

  assert.is(await status(owner.messages.deleteAllDomainMessages('mailroom.test')), 403);
  const all = await admin.messages.deleteAllDomainMessages('mailroom.test');
  assert.is(all.status, 204);
  assert.is((await admin.domains.getDomain('mailroom.test')).data && ((await admin.domains.getDomain('mailroom.test')).data as any).totalMessages, 0);
  // Nothing left in the search index either.
  assert.equal((await admin.messages.searchInboxMessages({ query: 'details' })).data.messages, []);
  assert.is(sqlValue(m.store, `SELECT count(*) FROM message_fts WHERE message_fts MATCH '"details"'`), 0);
});

test.run();
