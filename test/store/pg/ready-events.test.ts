// Ready events across nodes (issue 14): a message made ready by one node's
// writer is heard by a listener on another node's pool, after the commit,
// with its copies; a message with too many copies for a NOTIFY payload is
// heard too, its copies read from the database.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { postgresForTests } from '../../helpers/postgres.js';
import { PgMessageWriter } from '../../../src/store/pg/message-writer.js';
import { PgReadyEvents } from '../../../src/ingest/pg-ready-events.js';
import { encodeReadyPayload } from '../../../src/store/pg/ready-payload.js';
import type { ReadyNotice } from '../../../src/ingest/ready-events.js';
import { parseMessage } from '../../../src/mail/parse.js';
import { incoming } from './_incoming.js';

const pg = await postgresForTests(test);

/** Resolves with the first notice for `contentId`. */
function heard(events: PgReadyEvents, contentId: number): Promise<ReadyNotice> {
  return new Promise((resolve) => {
    const off = events.subscribe((n) => {
      if (n.contentId !== contentId) return;
      off();
      resolve(n);
    });
  });
}

if (pg) {
  const nodeA = pg.pool();
  const nodeB = pg.pool();
  const writerA = new PgMessageWriter(nodeA);
  const eventsB = await PgReadyEvents.start(pg.url, nodeB, { reconnectDelayMs: 200 });
  const eventsA = await PgReadyEvents.start(pg.url, nodeA);
  test.after(async () => {
    await writerA.close();
    await eventsA.close();
    await eventsB.close();
    await pg.drop();
  });

  test('a message received and made ready on node A is heard on node B, and on A itself, once committed', async () => {
    const msg = incoming({ to: ['one@mailroom.test', 'two@mailroom.test'], subject: 'cross-node' });
    const ids = await writerA.ingest(msg);
    const onB = heard(eventsB, ids.contentId);
    const onA = heard(eventsA, ids.contentId);
    const [{ ready: before }] = await nodeB<{ ready: boolean }[]>`SELECT ready FROM messages WHERE id = ${ids.messageIds[0]}`;
    assert.is(before, false);
    await writerA.applyParse(ids.contentId, await parseMessage(msg.raw));
    const [b, a] = await Promise.all([onB, onA]);
    assert.is(b.state, 'ok');
    assert.is(b.received, msg.received);
    assert.equal(b.copies, [
      { id: ids.messageIds[0], inbox: 'one@mailroom.test', domain: 'mailroom.test', capturedBy: null },
      { id: ids.messageIds[1], inbox: 'two@mailroom.test', domain: 'mailroom.test', capturedBy: null },
    ]);
    assert.equal(a, b, 'every node hears the same event');
    // What the event names is committed: node B reads it from its own connections.
    const [row] = await nodeB<{ ready: boolean }[]>`SELECT ready FROM messages WHERE id = ${b.copies[0].id}`;
    assert.is(row.ready, true);
  });

  test('a message with more copies than a NOTIFY payload holds: the event carries its id and node B reads the copies', async () => {
    const to = Array.from({ length: 150 }, (_, i) => `recipient-with-a-long-name-${i}@mailroom.test`);
    const notice = { contentId: 1, state: 'ok' as const, received: 1, copies: to.map((t) => ({ id: 'x'.repeat(20), inbox: t, domain: 'mailroom.test', capturedBy: null })) };
    assert.not.ok(JSON.parse(encodeReadyPayload(notice, 1)).p, 'too large to carry the copies');
    const msg = incoming({ to, subject: 'many' });
    const ids = await writerA.ingest(msg);
    const onB = heard(eventsB, ids.contentId);
    const before = eventsB.fetched;
    await writerA.applyParse(ids.contentId, await parseMessage(msg.raw));
    const b = await onB;
    assert.is(eventsB.fetched, before + 1);
    assert.equal(b.copies.map((c) => c.id), ids.messageIds);
    assert.is(b.copies.length, 150);
  });

  test('a second result for a message already ready (a node resuming another node\'s pending mail) sends no second event', async () => {
    const msg = incoming({ subject: 'twice' });
    const ids = await writerA.ingest(msg);
    let events = 0;
    const off = eventsB.subscribe((n) => {
      if (n.contentId === ids.contentId) events++;
    });
    const parsed = await parseMessage(msg.raw);
    const first = heard(eventsB, ids.contentId);
    await writerA.applyParse(ids.contentId, parsed);
    await first;
    const again = await writerA.applyParse(ids.contentId, parsed);
    assert.is(again.copies.length, 1, 'the caller still learns the copies');
    const later = incoming({ subject: 'after twice' });
    const laterIds = await writerA.ingest(later);
    const onLater = heard(eventsB, laterIds.contentId);
    await writerA.applyParse(laterIds.contentId, await parseMessage(later.raw));
    await onLater;
    off();
    assert.is(events, 1);
  });

  test('a node\'s LISTEN connection is lost: it listens again, and what became ready meanwhile is published once', async () => {
    let reopen!: () => void;
    const down = new Promise<void>((r) => (reopen = r));
    const eventsC = await PgReadyEvents.start(pg.url, nodeB, { reconnectDelayMs: 10, beforeRelisten: () => down });
    try {
      // Every node's listener is cut (A and B listen again by themselves); C stays down until `reopen`.
      await nodeB`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mailroom-listen' AND datname = current_database()`;
      while (eventsC.listening) await new Promise((r) => setTimeout(r, 10));
      const msg = incoming({ subject: 'while C was not listening' });
      const ids = await writerA.ingest(msg);
      let times = 0;
      eventsC.subscribe((n) => {
        if (n.contentId === ids.contentId) times++;
      });
      const onC = heard(eventsC, ids.contentId);
      await writerA.applyParse(ids.contentId, await parseMessage(msg.raw));
      assert.is(times, 0, 'not heard while down');
      reopen();
      const c = await onC;
      assert.equal(c.copies.map((x) => x.id), ids.messageIds);
      assert.is(eventsC.caughtUp, 1, 'published by the catch-up');
      assert.ok(eventsC.listening);
      // A message made ready after the reconnect arrives by NOTIFY again, and the first is not repeated.
      const next = incoming({ subject: 'after C is back' });
      const nextIds = await writerA.ingest(next);
      const onNext = heard(eventsC, nextIds.contentId);
      await writerA.applyParse(nextIds.contentId, await parseMessage(next.raw));
      await onNext;
      assert.is(times, 1);
      assert.is(eventsC.caughtUp, 1);
    } finally {
      await eventsC.close();
    }
  });

  test('a processing result that rolls back sends no event', async () => {
    const msg = incoming({ subject: 'rolled back' });
    const ids = await writerA.ingest(msg);
    let heardIt = false;
    const off = eventsB.subscribe((n) => {
      if (n.contentId === ids.contentId) heardIt = true;
    });
    const parsed = await parseMessage(msg.raw);
    // A date past bigint fails the UPDATE, so the whole transaction (and its NOTIFY) rolls back.
    parsed.date = 1e300;
    await writerA.applyParse(ids.contentId, parsed).then(
      () => assert.unreachable('must fail'),
      () => {},
    );
    // A later event from the same writer is delivered after any earlier one would have been (NOTIFY is in commit order).
    const later = incoming({ subject: 'later' });
    const laterIds = await writerA.ingest(later);
    const onLater = heard(eventsB, laterIds.contentId);
    await writerA.applyParse(laterIds.contentId, await parseMessage(later.raw));
    await onLater;
    off();
    assert.not.ok(heardIt);
    const [row] = await nodeB<{ ready: boolean }[]>`SELECT ready FROM messages WHERE content_id = ${ids.contentId}`;
    assert.is(row.ready, false, 'still not ready: parsed again later');
  });
}

test.run();
