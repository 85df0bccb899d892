// The owned addresses and account domains repositories' contract (issue 14):
// AddressStore's and AccountDomainStore's answers, which both engines must
// give alike (ownership-repositories-sqlite.test.ts on store.data,
// pg/ownership-repositories.test.ts on pgOwnershipRepositories). Every
// assertion names concrete values, so passing on both engines means both
// answer the same; Repositories.transaction is held to "the reservation and
// the dropped stars commit together, or neither does".
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Repositories } from '../../src/store/repositories.js';

type Ownership = Pick<Repositories, 'addresses' | 'domains'>;

export interface OwnershipEngine {
  repos: Ownership & { transaction<T>(fn: (tx: Ownership) => Promise<T>): Promise<T> };
  createUser(username: string): Promise<number>;
  /** Stores one received message for the inbox as the engine's ingest does; its id. */
  receive(inbox: string): Promise<string>;
  /** Stars the message as the API does (MessageReader.setStarred). */
  star(id: string, userId: number): Promise<void>;
  /** The message's star and who saved it, read from its row. */
  stars(id: string): Promise<{ starred: boolean; savedBy: number | null }>;
}

const T0 = 1_800_000_000_000;

/** Fails unless the promise rejects (with a message matching `pattern` when given). */
async function rejects(p: Promise<unknown>, pattern?: RegExp): Promise<void> {
  let error: unknown = null;
  await p.then(
    () => {},
    (err) => (error = err ?? new Error('rejected')),
  );
  assert.ok(error, 'expected a rejection');
  if (pattern) assert.match((error as Error).message, pattern);
}

export function ownershipRepositoriesContract(test: Test, engine: OwnershipEngine): void {
  const { addresses, domains } = engine.repos;

  test('a reserved address reads back with the defaults, its owner and one time for created and updated', async () => {
    const alice = await engine.createUser('alice');
    const before = Date.now();
    const a = await addresses.reserve('plain@mailroom.test', alice);
    const after = Date.now();
    assert.ok(a.created >= before && a.created <= after, 'created is now');
    assert.equal(a, {
      address: 'plain@mailroom.test',
      ownerId: alice,
      ownerName: 'alice',
      info: '',
      forward: null,
      enablews: false,
      webhook: null,
      webhookSlack: null,
      webhookSlackToFrom: false,
      created: a.created,
      updated: a.created,
    });
    assert.equal(await addresses.get('plain@mailroom.test'), a);
    assert.is(await addresses.ownerOf('plain@mailroom.test'), alice);
    assert.is(await addresses.ownerOf('nobody@mailroom.test'), null);
    assert.is(await addresses.get('nobody@mailroom.test'), null);
  });

  test('a reservation with fields keeps them; "" turns a URL off; a second reservation throws and changes nothing', async () => {
    const bob = await engine.createUser('bob');
    const carol = await engine.createUser('carol');
    const a = await addresses.reserve('fields@mailroom.test', bob, {
      info: 'receipts',
      forward: 'elsewhere@mailroom.test',
      enablews: true,
      webhook: '',
      webhookSlack: 'https://hooks.slack.com/services/T/B/x',
      webhookSlackToFrom: true,
    });
    assert.equal(
      { ...a, created: 0, updated: 0 },
      {
        address: 'fields@mailroom.test',
        ownerId: bob,
        ownerName: 'bob',
        info: 'receipts',
        forward: 'elsewhere@mailroom.test',
        enablews: true,
        webhook: null,
        webhookSlack: 'https://hooks.slack.com/services/T/B/x',
        webhookSlackToFrom: true,
        created: 0,
        updated: 0,
      },
    );
    // The primary key refuses the second owner.
    await rejects(addresses.reserve('fields@mailroom.test', carol, { info: 'mine now' }));
    assert.equal(await addresses.get('fields@mailroom.test'), a);
  });

  test('update sets the fields given and keeps the rest; "" and null turn one off; an unknown address is null', async () => {
    const dave = await engine.createUser('dave');
    const a = await addresses.reserve('upd@mailroom.test', dave, { info: 'x', forward: 'f@mailroom.test', webhook: 'https://example.org/h', enablews: true });
    await new Promise((r) => setTimeout(r, 3));
    const u = (await addresses.update('upd@mailroom.test', { webhook: 'https://example.org/h2', webhookSlackToFrom: true }))!;
    assert.equal(
      { ...u, updated: 0 },
      {
        address: 'upd@mailroom.test',
        ownerId: dave,
        ownerName: 'dave',
        info: 'x',
        forward: 'f@mailroom.test',
        enablews: true,
        webhook: 'https://example.org/h2',
        webhookSlack: null,
        webhookSlackToFrom: true,
        created: a.created,
        updated: 0,
      },
    );
    assert.ok(u.updated > a.created, 'updated moves on');
    const off = (await addresses.update('upd@mailroom.test', { forward: '', webhook: null, info: undefined, enablews: false }))!;
    assert.equal([off.info, off.forward, off.webhook, off.enablews, off.webhookSlackToFrom], ['x', null, null, false, true]);
    assert.is(await addresses.update('ghost@mailroom.test', { info: 'y' }), null);
    assert.is(await addresses.get('ghost@mailroom.test'), null, 'update creates nothing');
  });

  test("an owner's addresses are listed bytewise and counted; list has everyone's; release answers whether there was one", async () => {
    const erin = await engine.createUser('erin');
    const frank = await engine.createUser('frank');
    // Bytewise: digits, then upper case, then "_", then lower case (a dictionary collation would mix them).
    for (const a of ['zeta@mailroom.test', 'Zulu@mailroom.test', '_x@mailroom.test', 'alpha@mailroom.test', '9@mailroom.test']) await addresses.reserve(a, erin);
    await addresses.reserve('frank@mailroom.test', frank);
    assert.equal(
      (await addresses.listForOwner(erin)).map((a) => a.address),
      ['9@mailroom.test', 'Zulu@mailroom.test', '_x@mailroom.test', 'alpha@mailroom.test', 'zeta@mailroom.test'],
    );
    assert.equal((await addresses.listForOwner(erin)).map((a) => [a.ownerId, a.ownerName]), Array(5).fill([erin, 'erin']));
    assert.is(await addresses.countForOwner(erin), 5);
    assert.is(await addresses.countForOwner(frank), 1);
    assert.is(await addresses.countForOwner(-1), 0);
    assert.equal(await addresses.listForOwner(-1), []);
    const all = (await addresses.list()).map((a) => a.address);
    const sorted = [...all].sort((x, y) => (Buffer.compare(Buffer.from(x), Buffer.from(y))));
    assert.equal(all, sorted, 'list() is bytewise too');
    assert.ok(all.includes('frank@mailroom.test') && all.includes('_x@mailroom.test'));
    assert.is(await addresses.release('zeta@mailroom.test'), true);
    assert.is(await addresses.release('zeta@mailroom.test'), false);
    assert.is(await addresses.ownerOf('zeta@mailroom.test'), null);
    assert.is(await addresses.countForOwner(erin), 4);
  });

  test("dropForeignStars unstars what others starred in the inbox and keeps the owner's and other inboxes'", async () => {
    const owner = await engine.createUser('starowner');
    const visitor = await engine.createUser('visitor');
    const theirs = await engine.receive('claimed@mailroom.test');
    const own = await engine.receive('claimed@mailroom.test');
    const elsewhere = await engine.receive('other@mailroom.test');
    await engine.star(theirs, visitor);
    await engine.star(own, owner);
    await engine.star(elsewhere, visitor);
    await addresses.dropForeignStars('claimed@mailroom.test', owner);
    assert.equal(await engine.stars(theirs), { starred: false, savedBy: null });
    assert.equal(await engine.stars(own), { starred: true, savedBy: owner });
    assert.equal(await engine.stars(elsewhere), { starred: true, savedBy: visitor });
  });

  test('a transaction commits the reservation and the dropped stars together', async () => {
    const owner = await engine.createUser('txowner');
    const visitor = await engine.createUser('txvisitor');
    const id = await engine.receive('txclaim@mailroom.test');
    await engine.star(id, visitor);
    const reserved = await engine.repos.transaction(async (tx) => {
      const a = await tx.addresses.reserve('txclaim@mailroom.test', owner);
      await tx.addresses.dropForeignStars('txclaim@mailroom.test', owner);
      return a;
    });
    assert.is(reserved.address, 'txclaim@mailroom.test');
    assert.is(await addresses.ownerOf('txclaim@mailroom.test'), owner);
    assert.equal(await engine.stars(id), { starred: false, savedBy: null });
  });

  test('a transaction that throws keeps neither the reservation nor the dropped stars', async () => {
    const owner = await engine.createUser('rbowner');
    const visitor = await engine.createUser('rbvisitor');
    const id = await engine.receive('rbclaim@mailroom.test');
    await engine.star(id, visitor);
    await rejects(
      engine.repos.transaction(async (tx) => {
        await tx.addresses.dropForeignStars('rbclaim@mailroom.test', owner);
        await tx.addresses.reserve('rbclaim@mailroom.test', owner);
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.is(await addresses.ownerOf('rbclaim@mailroom.test'), null);
    assert.equal(await engine.stars(id), { starred: true, savedBy: visitor });
    // A failing reservation inside the transaction (taken) undoes the ones before it: reserveAll's all or none.
    const other = await engine.createUser('rbother');
    await addresses.reserve('rbtaken@mailroom.test', other);
    await rejects(
      engine.repos.transaction(async (tx) => {
        await tx.addresses.reserve('rbfirst@mailroom.test', owner);
        await tx.addresses.reserve('rbtaken@mailroom.test', owner);
      }),
    );
    assert.is(await addresses.ownerOf('rbfirst@mailroom.test'), null);
    assert.is(await addresses.ownerOf('rbtaken@mailroom.test'), other);
    // The repositories work as before once it is over.
    assert.is((await addresses.reserve('rbfirst@mailroom.test', owner)).ownerId, owner);
  });

  test('an added domain reads back unverified and private with the times given; adding it twice throws', async () => {
    const gina = await engine.createUser('gina');
    const hank = await engine.createUser('hank');
    await domains.add('gina.example', gina, 'tok123', T0);
    const d = await domains.get('gina.example');
    assert.equal(d, {
      domain: 'gina.example',
      ownerId: gina,
      ownerName: 'gina',
      token: 'tok123',
      verified: null,
      isPrivate: true,
      catchAll: false,
      lastError: '',
      verifiedMx: false,
      forward: null,
      enablews: false,
      webhook: null,
      webhookSlack: null,
      webhookSlackToFrom: false,
      created: T0,
      updated: T0,
    });
    await rejects(domains.add('gina.example', hank, 'other', T0 + 1));
    assert.equal(await domains.get('gina.example'), d);
    assert.is(await domains.get('unknown.example'), null);
    const before = Date.now();
    await domains.add('now.example', gina, 't');
    const now = (await domains.get('now.example'))!;
    assert.ok(now.created >= before && now.created === now.updated, 'the default time is now');
  });

  test('verification, failures, MX, privacy and catch-all: what receiving decides by follows each change', async () => {
    const ivy = await engine.createUser('ivy');
    await domains.add('ivy.example', ivy, 'tok', T0);
    // Unverified: no owner, no push settings, no catch-all, whatever the flags say.
    await domains.setCatchAll('ivy.example', true, T0 + 1);
    assert.is(await domains.verifiedOwner('ivy.example'), null);
    assert.is(await domains.pushSettings('ivy.example'), null);
    assert.is(await domains.catchAllInbox('ivy.example'), null);
    await domains.markFailed('ivy.example', 'x'.repeat(600), T0 + 2);
    let d = (await domains.get('ivy.example'))!;
    assert.equal([d.lastError.length, d.lastError[0], d.verified, d.updated, d.catchAll], [500, 'x', null, T0 + 2, true]);
    await domains.markVerified('ivy.example', T0 + 3);
    d = (await domains.get('ivy.example'))!;
    assert.equal([d.verified, d.lastError, d.updated], [T0 + 3, '', T0 + 3]);
    assert.equal(await domains.verifiedOwner('ivy.example'), { ownerId: ivy, isPrivate: true });
    assert.is(await domains.catchAllInbox('ivy.example'), '*@ivy.example');
    assert.equal(await domains.pushSettings('ivy.example'), { forward: null, enablews: false, webhook: null, webhookSlack: null, webhookSlackToFrom: false });
    await domains.setPrivate('ivy.example', false, T0 + 4);
    assert.equal(await domains.verifiedOwner('ivy.example'), { ownerId: ivy, isPrivate: false });
    await domains.setCatchAll('ivy.example', false, T0 + 5);
    assert.is(await domains.catchAllInbox('ivy.example'), null);
    await domains.setVerifiedMx('ivy.example', true, T0 + 6);
    d = (await domains.get('ivy.example'))!;
    assert.equal([d.verifiedMx, d.isPrivate, d.catchAll, d.verified, d.created, d.updated], [true, false, false, T0 + 3, T0, T0 + 6]);
    await domains.setVerifiedMx('ivy.example', false, T0 + 7);
    await domains.markFailed('ivy.example', 'No MX record', T0 + 8);
    d = (await domains.get('ivy.example'))!;
    assert.equal([d.verifiedMx, d.lastError, d.verified, d.updated], [false, 'No MX record', T0 + 3, T0 + 8], 'a failure leaves a verified domain verified');
    assert.is(await domains.verifiedOwner('unknown.example'), null);
    assert.is(await domains.catchAllInbox('unknown.example'), null);
  });

  test('updateSettings sets the push fields given and keeps the rest; "" and null turn one off; pushSettings answers them once verified', async () => {
    const jay = await engine.createUser('jay');
    await domains.add('jay.example', jay, 'tok', T0);
    const u1 = (await domains.updateSettings('jay.example', { forward: 'f@mailroom.test', enablews: true, webhook: 'https://example.org/h', info: 'ignored' }, T0 + 1))!;
    assert.equal(
      [u1.forward, u1.enablews, u1.webhook, u1.webhookSlack, u1.webhookSlackToFrom, u1.updated],
      ['f@mailroom.test', true, 'https://example.org/h', null, false, T0 + 1],
    );
    assert.is(await domains.pushSettings('jay.example'), null, 'not verified yet');
    await domains.markVerified('jay.example', T0 + 2);
    const u2 = (await domains.updateSettings('jay.example', { webhook: '', webhookSlack: 'https://hooks.slack.com/services/T/B/y', webhookSlackToFrom: true }, T0 + 3))!;
    assert.equal(await domains.pushSettings('jay.example'), {
      forward: 'f@mailroom.test',
      enablews: true,
      webhook: null,
      webhookSlack: 'https://hooks.slack.com/services/T/B/y',
      webhookSlackToFrom: true,
    });
    assert.equal(await domains.get('jay.example'), u2);
    const u3 = (await domains.updateSettings('jay.example', { forward: null, enablews: false }, T0 + 4))!;
    assert.equal([u3.forward, u3.enablews, u3.webhookSlack, u3.webhookSlackToFrom, u3.updated], [null, false, 'https://hooks.slack.com/services/T/B/y', true, T0 + 4]);
    assert.is(await domains.updateSettings('unknown.example', { enablews: true }, T0), null);
    assert.is(await domains.get('unknown.example'), null);
  });

  test("an owner's domains are listed bytewise; list has everyone's; remove deletes", async () => {
    const kim = await engine.createUser('kim');
    const lee = await engine.createUser('lee');
    for (const d of ['zz.example', 'a-b.example', 'a.example', '0.example', 'ab.example']) await domains.add(d, kim, 't-' + d, T0);
    await domains.add('lee.example', lee, 't', T0);
    assert.equal(
      (await domains.listForOwner(kim)).map((d) => [d.domain, d.token, d.ownerName]),
      [
        ['0.example', 't-0.example', 'kim'],
        ['a-b.example', 't-a-b.example', 'kim'],
        ['a.example', 't-a.example', 'kim'],
        ['ab.example', 't-ab.example', 'kim'],
        ['zz.example', 't-zz.example', 'kim'],
      ],
    );
    assert.equal(await domains.listForOwner(-1), []);
    const all = (await domains.list()).map((d) => d.domain);
    assert.equal(all, [...all].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    assert.ok(all.includes('lee.example') && all.includes('zz.example'));
    await domains.remove('zz.example');
    await domains.remove('zz.example');
    assert.is(await domains.get('zz.example'), null);
    assert.equal((await domains.listForOwner(kim)).length, 4);
  });

  test('the domain repository joins a transaction: a domain added inside one that throws is not kept', async () => {
    const max = await engine.createUser('max');
    await rejects(
      engine.repos.transaction(async (tx) => {
        await tx.domains.add('max.example', max, 't', T0);
        assert.is((await tx.domains.get('max.example'))?.ownerId, max, 'seen inside');
        throw new Error('abort');
      }),
      /abort/,
    );
    assert.is(await domains.get('max.example'), null);
  });
}
