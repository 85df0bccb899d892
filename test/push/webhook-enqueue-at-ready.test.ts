// Issue 11, "delivered at least once": a message's webhook deliveries commit
// in the transaction that makes it ready, on the store alone (no push
// machinery running), so no crash between the two can lose a webhook.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { openStore, type Store } from '../../src/store/index.js';
import { parseMessage } from '../../src/mail/parse.js';
import { tempDir } from '../helpers/temp.js';

function ingest(store: Store, inboxes: string[]): number {
  const raw = Buffer.from('From: a@example.org\r\nTo: x@mailroom.test\r\nSubject: hello\r\n\r\nbody\r\n');
  const recipients = inboxes.map((i) => ({ inbox: i, original: i, domain: 'mailroom.test' }));
  return store.transaction(() => store.messages.insertReceived({ raw, mailFrom: 'a@example.org', recipients, ip: '127.0.0.1', helo: 'h', tls: false, received: Date.now() })).contentId;
}

type DeliveryRow = { id: number; address: string; kind: string; url: string; user_id: number; message_id: string; state: string };

function rows(store: Store): DeliveryRow[] {
  // A second connection: what a restarted process would find on disk.
  const again = openStore(store.file.replace(/\/[^/]+$/, ''));
  try {
    return again.transaction(() => again.webhooks.due(Number.MAX_SAFE_INTEGER, 100)).map((d) => ({
      id: d.id,
      address: d.address,
      kind: d.kind,
      url: d.url,
      user_id: d.userId,
      message_id: d.messageId,
      state: d.state,
    }));
  } finally {
    again.close();
  }
}

test('applyParse commits the webhook and Slack deliveries of every copy that asks for them, forwarded copies included', async () => {
  const dir = tempDir();
  const store = openStore(dir);
  try {
    const alice = store.users.createWithoutPassword({ username: 'alice' });
    const bob = store.users.createWithoutPassword({ username: 'bob' });
    store.addresses.reserve('hooked@mailroom.test', alice.id, { webhook: 'http://receiver.example/hook', webhookSlack: 'https://hooks.slack.example/x' });
    store.addresses.reserve('quiet@mailroom.test', alice.id, {});
    store.addresses.reserve('target@mailroom.test', bob.id, { webhook: 'http://receiver.example/bob' });
    // Forwarding adds the target as a recipient at ingest (push/forwarding.ts): its settings apply to its copy.
    const contentId = ingest(store, ['hooked@mailroom.test', 'quiet@mailroom.test', 'public@mailroom.test', 'target@mailroom.test']);
    assert.equal(rows(store), [], 'nothing is queued before the message is ready');

    const ready = store.messages.applyParse(contentId, await parseMessage(store.messages.raw(contentId)!));
    const idOf = (inbox: string) => ready.copies.find((c) => c.inbox === inbox)!.id;
    const queued = rows(store);
    assert.equal(
      queued.map((r) => [r.address, r.kind, r.url, r.user_id, r.message_id, r.state]).sort(),
      [
        ['hooked@mailroom.test', 'slack', 'https://hooks.slack.example/x', alice.id, idOf('hooked@mailroom.test'), 'pending'],
        ['hooked@mailroom.test', 'webhook', 'http://receiver.example/hook', alice.id, idOf('hooked@mailroom.test'), 'pending'],
        ['target@mailroom.test', 'webhook', 'http://receiver.example/bob', bob.id, idOf('target@mailroom.test'), 'pending'],
      ].sort(),
    );

    // The ready notice carries the count, so the main thread's webhook queue looks for due rows only when there are new ones.
    assert.is(ready.deliveries, 3);

    // A re-parse (mailroom reparse) of a message already ready is not new mail: nothing is queued twice.
    const again = store.messages.applyParse(contentId, await parseMessage(store.messages.raw(contentId)!));
    assert.equal(rows(store).map((r) => r.id), queued.map((r) => r.id));
    assert.is(again.deliveries, 0);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a parse result that fails to commit leaves no delivery behind', async () => {
  const dir = tempDir();
  const store = openStore(dir);
  try {
    const alice = store.users.createWithoutPassword({ username: 'alice' });
    store.addresses.reserve('hooked@mailroom.test', alice.id, { webhook: 'http://receiver.example/hook' });
    const contentId = ingest(store, ['hooked@mailroom.test']);
    const parsed = await parseMessage(store.messages.raw(contentId)!);
    assert.throws(() =>
      store.transaction(() => {
        store.messages.applyParse(contentId, parsed);
        throw new Error('crash before the commit');
      }),
    );
    assert.equal(rows(store), []);
    assert.is(store.messages.pendingParse().includes(contentId), true, 'still pending: parsed again at the next start');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nothing subscribed anywhere: nothing queued; a webhook set on another connection gets the next message ready', async () => {
  const dir = tempDir();
  const store = openStore(dir);
  try {
    const alice = store.users.createWithoutPassword({ username: 'alice' });
    store.addresses.reserve('later@mailroom.test', alice.id, {});
    const first = ingest(store, ['later@mailroom.test']);
    const second = ingest(store, ['later@mailroom.test']);
    // enqueueForReady answers 0 from the partial indexes alone (migration 016) when no webhook or Slack URL is set.
    const none = store.messages.applyParse(first, await parseMessage(store.messages.raw(first)!));
    assert.is(none.deliveries, 0);
    assert.equal(rows(store), []);

    // The main thread sets webhooks on its own connection while the writer thread makes messages ready on another.
    const web = openStore(dir);
    try {
      web.addresses.update('later@mailroom.test', { webhook: 'http://receiver.example/later' });
    } finally {
      web.close();
    }
    const ready = store.messages.applyParse(second, await parseMessage(store.messages.raw(second)!));
    assert.is(ready.deliveries, 1);
    assert.equal(rows(store).map((r) => [r.address, r.kind, r.url, r.message_id]), [['later@mailroom.test', 'webhook', 'http://receiver.example/later', ready.copies[0]!.id]]);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the "anything subscribed?" look-up reads the two partial indexes, not the tables', () => {
  const dir = tempDir();
  const store = openStore(dir);
  try {
    // Private on purpose; the plan is what matters: a scan of addresses would grow with every reserved address.
    const db = (store.messages as unknown as { db: import('../../src/store/db.js').DB }).db;
    const sql = (store.webhooks as unknown as { stmts: { anySubscribed: { source: string } } }).stmts.anySubscribed.source;
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('\n');
    assert.match(plan, /addresses USING (COVERING )?INDEX addresses_push_subscribed/);
    assert.match(plan, /account_domains USING (COVERING )?INDEX account_domains_push_subscribed/);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
