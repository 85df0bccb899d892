// Retention rules with a fake clock (issue 4): each rule removes exactly what
// it should and nothing younger, across a clock step backwards and a
// daylight-saving change (bad-input 70).
process.env.TZ = 'Europe/Berlin';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Store } from '../../src/store/index.js';
import { prune, policyFromConfig } from '../../src/jobs/retention.js';
import { RetentionScheduler } from '../../src/jobs/scheduler.js';
import { silentLogger } from '../../src/log.js';
import { testConfig } from '../helpers/mailroom.js';
import { H, NOW, OFF, alive, storeAt, withStore } from '../helpers/retention-store.js';
import { sqlValue } from '../helpers/database-file.js';

/** Stores one message; returns its id. */
function put(store: Store, inbox: string, received: number, opts: { starred?: boolean } = {}): string {
  const id = storeAt(store, inbox, received);
  if (opts.starred) store.messages.setStarred(id, true);
  return id;
}

async function owner(store: Store, name: string, addresses: string[]): Promise<number> {
  const u = store.users.createWithoutPassword({ username: name });
  for (const a of addresses) store.addresses.reserve(a, u.id);
  return u.id;
}

test(
  'public max age: strictly older than the limit goes, starred too (issue 13 item 6); the boundary and younger stay',
  withStore(async (store) => {
    const old1 = put(store, 'a@mailroom.test', NOW - 200 * H);
    const old2 = put(store, 'b@mailroom.test', NOW - 96 * H - 1);
    const starred = put(store, 'a@mailroom.test', NOW - 300 * H, { starred: true });
    const boundary = put(store, 'c@mailroom.test', NOW - 96 * H);
    const young = put(store, 'a@mailroom.test', NOW - 95 * H);
    const future = put(store, 'a@mailroom.test', NOW + 5 * H);
    await owner(store, 'p', ['owned@mailroom.test']);
    const ownedOld = put(store, 'owned@mailroom.test', NOW - 500 * H);
    const r = await prune(store, { ...OFF, publicMaxAgeMs: 96 * H }, NOW);
    assert.is(r.publicAge, 3);
    assert.equal(alive(store, [old1, old2, starred]), []);
    assert.equal(alive(store, [boundary, young, future, ownedOld]), [boundary, young, future, ownedOld]);
    // Run again: nothing more (idempotent).
    assert.is((await prune(store, { ...OFF, publicMaxAgeMs: 96 * H }, NOW)).publicAge, 0);
  }),
);

test(
  'public max messages per inbox: the oldest unstarred go, starred neither count nor go (issue 13 item 6), other inboxes untouched',
  withStore(async (store) => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(put(store, 'busy@mailroom.test', NOW - (10 - i) * H, { starred: i < 2 }));
    const small = [put(store, 'quiet@mailroom.test', NOW - 50 * H), put(store, 'quiet@mailroom.test', NOW - 40 * H)];
    const r = await prune(store, { ...OFF, publicMaxPerInbox: 6 }, NOW);
    assert.is(r.publicCount, 2);
    assert.equal(alive(store, ids), [ids[0], ids[1], ids[4], ids[5], ids[6], ids[7], ids[8], ids[9]]);
    assert.equal(alive(store, small), small);
    assert.is(store.messages.countAll('busy@mailroom.test'), 8);
  }),
);

test(
  'private quota per account: oldest across all its addresses; public and other accounts untouched',
  withStore(async (store) => {
    await owner(store, 'alice', ['a1@mailroom.test', 'a2@mailroom.test']);
    await owner(store, 'bob', ['b1@mailroom.test']);
    const a: string[] = [];
    for (let i = 0; i < 5; i++) a.push(put(store, 'a1@mailroom.test', NOW - (20 - 2 * i) * H));
    for (let i = 0; i < 5; i++) a.push(put(store, 'a2@mailroom.test', NOW - (19 - 2 * i) * H, { starred: i === 0 }));
    const b = [put(store, 'b1@mailroom.test', NOW - 100 * H), put(store, 'b1@mailroom.test', NOW - 99 * H)];
    const pub = [put(store, 'x@mailroom.test', NOW - 100 * H)];
    const r = await prune(store, { ...OFF, privateMaxPerAccount: 6 }, NOW);
    assert.is(r.privateQuota, 4);
    // Arrival order: a1[0..4] then a2[0..4]; a2[0] is starred. Oldest 4 unstarred: a1[0..3].
    assert.equal(alive(store, a), [a[4], a[5], a[6], a[7], a[8], a[9]]);
    assert.equal(alive(store, [...b, ...pub]), [...b, ...pub]);
  }),
);

test(
  'private max age: only owned mail, starred kept; public mail is not touched by it',
  withStore(async (store) => {
    await owner(store, 'carol', ['c@mailroom.test']);
    const old = put(store, 'c@mailroom.test', NOW - 31 * 24 * H);
    const kept = put(store, 'c@mailroom.test', NOW - 31 * 24 * H, { starred: true });
    const young = put(store, 'c@mailroom.test', NOW - 29 * 24 * H);
    const pub = put(store, 'p@mailroom.test', NOW - 31 * 24 * H);
    const r = await prune(store, { ...OFF, privateMaxAgeMs: 30 * 24 * H }, NOW);
    assert.is(r.privateAge, 1);
    assert.equal(alive(store, [old, kept, young, pub]), [kept, young, pub]);
  }),
);

test(
  'clock stepped back: mail that arrived after younger mail is never treated as older; an earlier "now" removes nothing more',
  withStore(async (store) => {
    const T0 = NOW - 200 * H;
    const a = put(store, 'a@mailroom.test', T0); // arrived first
    const b = put(store, 'b@mailroom.test', T0 + 100 * H); // then the clock was set back 110 h:
    const c = put(store, 'c@mailroom.test', T0 - 10 * H); // arrived after b, but stamped earlier than a
    const d = put(store, 'd@mailroom.test', T0 + 150 * H);
    const policy = { ...OFF, publicMaxAgeMs: 96 * H };
    // Cutoff NOW-96h = T0+104h: a and b are past it; c arrived after b, which is...
    const r1 = await prune(store, policy, NOW);
    assert.is(r1.publicAge, 3);
    assert.equal(alive(store, [a, b, c, d]), [d]);

    // e arrived after d, which is still young: e waits for d (it may be younger than its stamp says).
    const e = put(store, 'e@mailroom.test', NOW - 100 * H);
    const g = put(store, 'g@mailroom.test', NOW - 10 * H); // young
    const f = put(store, 'f@mailroom.test', NOW - 120 * H); // arrived after g, clock set back
    assert.is((await prune(store, policy, NOW)).publicAge, 0);
    assert.equal(alive(store, [d, e]), [d, e]);
    // Once d is gone, e (past the cutoff, nothing younger before it) goes; f arrived after young g and stays.
    store.messages.delete(d);
    const r2 = await prune(store, policy, NOW);
    assert.is(r2.publicAge, 1);
    assert.equal(alive(store, [e, g, f]), [g, f], 'f arrived after g (young), so it is not pruned before g is');

    // The clock steps back by 5 hours between two runs: the second run removes nothing.
    const h = put(store, 'h@mailroom.test', NOW - 97 * H);
    const r3 = await prune(store, policy, NOW - 5 * H);
    assert.is(r3.publicAge, 0);
    assert.equal(alive(store, [h]), [h]);
  }),
);

test(
  'a daylight-saving change (Europe/Berlin, 30 March 2025): 96 hours are 96 real hours, not four calendar days',
  withStore(async (store) => {
    // 2025-03-31 03:00 CEST; four calendar days earlier is 2025-03-27 03:00 CET, only 95 real hours before.
    const now = new Date(2025, 2, 31, 3, 0, 0).getTime();
    const calendarFourDaysAgo = new Date(2025, 2, 27, 3, 0, 0).getTime();
    assert.is(new Date(now).getTimezoneOffset(), -120, 'CEST in effect (TZ is honoured)');
    assert.is(new Date(calendarFourDaysAgo).getTimezoneOffset(), -60, 'CET before the change');
    assert.is(now - calendarFourDaysAgo, 95 * H);
    // Stored in the order they arrived.
    const go = put(store, 'dst3@mailroom.test', now - 96 * H - 1);
    const keep2 = put(store, 'dst2@mailroom.test', now - 96 * H);
    const keep = put(store, 'dst@mailroom.test', calendarFourDaysAgo);
    const r = await prune(store, { ...OFF, publicMaxAgeMs: 96 * H }, now);
    assert.is(r.publicAge, 1);
    assert.equal(alive(store, [keep, keep2, go]), [keep, keep2]);
    for (const id of [keep, keep2]) store.messages.delete(id);
    // And in the autumn (26 October 2025, 03:00 CEST -> 02:00 CET): four calendar days are 97 hours.
    const autumnNow = new Date(2025, 9, 28, 3, 0, 0).getTime();
    const old = put(store, 'dst4@mailroom.test', new Date(2025, 9, 24, 3, 0, 0).getTime());
    const young = put(store, 'dst5@mailroom.test', autumnNow - 96 * H + 1);
    assert.is(autumnNow - new Date(2025, 9, 24, 3, 0, 0).getTime(), 97 * H);
    const r2 = await prune(store, { ...OFF, publicMaxAgeMs: 96 * H }, autumnNow);
    assert.is(r2.publicAge, 1);
    assert.equal(alive(store, [old, young]), [young]);
  }),
);

test(
  'disk budget: past high water the oldest public mail goes (whatever its age) until low water; private and starred stay',
  withStore(async (store) => {
    await owner(store, 'dave', ['d@mailroom.test']);
    const big = 'x'.repeat(20_000);
    const pub: string[] = [];
    const priv: string[] = [];
    for (let i = 0; i < 60; i++) {
      const inbox = i % 3 === 0 ? 'd@mailroom.test' : `p${i}@mailroom.test`;
      const ids = store.messages.insertReceived({
        raw: Buffer.from(`Subject: s\r\n\r\n${big}${i}\r\n`.replace(/x/g, () => String.fromCharCode(97 + Math.floor(Math.random() * 26)))),
        mailFrom: '',
        recipients: [{ inbox, original: inbox, domain: 'mailroom.test' }],
        ip: '',
        helo: '',
        tls: false,
        received: NOW - (60 - i) * 60_000,
      });
      (i % 3 === 0 ? priv : pub).push(ids.messageIds[0]!);
    }
    const { usedBytes } = await import('../../src/jobs/retention.js');
    const used = usedBytes(store);
    const max = Math.floor(used / 0.95); // we are at 95% of the budget
    const r = await prune(store, { ...OFF, maxDatabaseBytes: max, diskHighWater: 0.9, diskLowWater: 0.7, batchSize: 2 }, NOW);
    assert.ok(r.diskBudget > 0);
    assert.ok(usedBytes(store) <= max * 0.7, 'below low water');
    assert.equal(alive(store, priv), priv, 'private mail is never taken by the disk budget');
    const left = alive(store, pub);
    // The survivors are the newest public messages: the deleted ones are a prefix in arrival order.
    assert.equal(left, pub.slice(pub.length - left.length));
    // Under high water: nothing.
    assert.is((await prune(store, { ...OFF, maxDatabaseBytes: max * 10 }, NOW)).diskBudget, 0);
  }),
);

test(
  'audit entries and login records are kept for their own number of days; expired sessions go',
  withStore(async (store) => {
    const D = 24 * H;
    store.audit.record({ actor: 'x', action: 'login', at: NOW - 31 * D });
    store.audit.record({ actor: 'x', action: 'login', at: NOW - 29 * D });
    store.audit.record({ actor: 'x', action: 'export', at: NOW - 366 * D });
    store.audit.record({ actor: 'x', action: 'export', at: NOW - 364 * D });
    const r = await prune(store, { ...OFF, auditLogDays: 365, loginRecordDays: 30 }, NOW);
    assert.is(r.loginRecords, 1);
    assert.is(r.auditEntries, 1);
    assert.equal(store.audit.list().map((e) => [e.action, Math.round((NOW - e.at) / D)]), [
      ['export', 364],
      ['login', 29],
    ]);
    // 0 keeps forever.
    const r2 = await prune(store, { ...OFF }, NOW + 10_000 * D);
    assert.is(r2.auditEntries + r2.loginRecords, 0);
  }),
);

test('policyFromConfig: every retention key (and the audit and login days) reaches the policy prune() runs with', () => {
  const c = testConfig({
    storage: { maxDatabaseBytes: 1_000_000 } as never,
    retention: { batchSize: 7, public: { maxAgeHours: 5, maxMessagesPerInbox: 3 }, private: { maxAgeHours: 9, maxMessagesPerAccount: 11 }, diskHighWater: 0.5, diskLowWater: 0.25 } as never,
    privacy: { auditLogDays: 13, loginRecordDays: 2 } as never,
  });
  assert.equal(policyFromConfig(c), {
    publicMaxAgeMs: 5 * H,
    publicMaxPerInbox: 3,
    privateMaxAgeMs: 9 * H,
    privateMaxPerAccount: 11,
    batchSize: 7,
    maxDatabaseBytes: 1_000_000,
    diskHighWater: 0.5,
    diskLowWater: 0.25,
    auditLogDays: 13,
    loginRecordDays: 2,
  });
});

test(
  'scheduler: never two runs at once, and no second scheduled run within half the interval on the monotonic clock',
  withStore(async (store) => {
    let mono = 0;
    const config = testConfig({ retention: { schedule: '30 2 * * *', timezone: 'Europe/Berlin' } as never }, store.file.replace(/\/mailroom\.db$/, ''));
    const s = new RetentionScheduler({ config, store, log: silentLogger(), now: () => NOW, monotonic: () => mono });
    assert.is(s.minGapMs, 12 * H);
    const [a, b] = [s.runNow(), s.runNow()];
    assert.is(a, b, 'a second request joins the run in progress');
    await a;
    assert.is(s.runs, 1);
    assert.ok(await s.tick(), 'first scheduled tick runs');
    mono += H; // the wall clock stepped back an hour: the 02:30 tick fires again an hour later
    assert.is(await s.tick(), null, 'the repeated tick is skipped');
    assert.is(s.skipped, 1);
    mono += 24 * H;
    assert.ok(await s.tick(), 'the next day runs');
    assert.is(s.runs, 3);
    await s.stop();
    assert.is(await s.runNow(), null, 'nothing runs after stop');
  }),
);

test(
  'the search index does not merge by itself while a prune deletes (issue 16), and does again afterwards, whether the prune finished or was aborted',
  withStore(async (store) => {
    const setting = (k: string) => sqlValue(store, `SELECT v FROM message_fts_config WHERE k = ?`, k) ?? null;
    for (let i = 0; i < 30; i++) put(store, `m${i % 3}@mailroom.test`, NOW - 200 * H + i);
    const during: unknown[] = [];
    const r = await prune(store, { ...OFF, publicMaxAgeMs: 96 * H, batchSize: 5 }, NOW, {
      pause: async () => {
        during.push(setting('automerge'));
      },
    });
    assert.is(r.publicAge, 30);
    assert.ok(r.batches >= 2, `${r.batches} batches`);
    assert.equal(during.slice(0, r.batches), Array(r.batches).fill(0), 'automerge 0 after every delete batch');
    assert.is(setting('automerge'), 4, "FTS5's default back");
    assert.is(setting('crisismerge'), 16);

    for (let i = 0; i < 10; i++) put(store, 'n@mailroom.test', NOW - 200 * H + i);
    let batches = 0;
    const aborted = await prune(store, { ...OFF, publicMaxAgeMs: 96 * H, batchSize: 2 }, NOW, {
      pause: async () => {
        batches++;
      },
      aborted: () => batches >= 1,
    });
    assert.ok(aborted.aborted);
    assert.is(setting('automerge'), 4, 'back after an aborted prune too');
    // The index still finds what is left.
    assert.ok(store.messages.countAll('n@mailroom.test') > 0);
  }),
);

test(
  'scheduler: schedule "off" runs nothing on a timer; runNow still works',
  withStore(async (store) => {
    const config = testConfig({ retention: { schedule: 'off' } as never }, store.file.replace(/\/mailroom\.db$/, ''));
    const s = new RetentionScheduler({ config, store, log: silentLogger(), now: () => NOW });
    s.start();
    assert.not.ok((s as unknown as { task?: unknown }).task, 'no cron task');
    assert.ok(await s.runNow(), 'a manual run still prunes');
    await s.stop();
  }),
);

test.run();
