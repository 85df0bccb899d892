// Retention cases both engines must answer alike (issue 14): each case
// builds accounts, reserved addresses, private domains and messages arrived
// at given times, runs the one set of rules (jobs/retention.ts pruneWith)
// with a policy, and names the messages that must survive. Run on SQLite by
// test/jobs/retention-cases-sqlite.test.ts and on PostgreSQL by
// test/store/pg/retention.test.ts: passing on both means the same survivors.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PruneResult, RetentionPolicy } from '../../src/jobs/retention.js';
import { H, NOW, OFF } from '../helpers/retention-store.js';

/** One engine, emptied before each case. */
export interface RetentionWorld {
  reset(): Promise<void>;
  user(name: string): Promise<number>;
  reserve(address: string, ownerId: number): Promise<void>;
  /** A verified domain of ownerId; isPrivate false: verified but public. */
  domain(domain: string, ownerId: number, isPrivate: boolean): Promise<void>;
  /** A message for `inbox` arrived at `received`, starred by savedBy when given; its id. */
  put(inbox: string, received: number, savedBy?: number): Promise<string>;
  prune(policy: RetentionPolicy, now: number): Promise<PruneResult>;
  /** The ids among `ids` still stored. */
  alive(ids: string[]): Promise<string[]>;
}

interface Case {
  name: string;
  users?: string[];
  reserved?: Array<[address: string, owner: string]>;
  domains?: Array<[domain: string, owner: string, isPrivate: boolean]>;
  /** [name, inbox, hours before NOW, starred by] */
  messages: Array<[name: string, inbox: string, ageH: number, starredBy?: string]>;
  policy: Partial<RetentionPolicy>;
  survivors: string[];
  /** Counts in the result, where the case checks them. */
  counts?: Partial<Pick<PruneResult, 'publicAge' | 'publicCount' | 'privateAge' | 'privateQuota'>>;
}

export const RETENTION_CASES: Case[] = [
  {
    name: 'public age: starred or not, older than the limit goes',
    users: ['keeper'],
    messages: [
      ['old', 'shared@mailroom.test', 200, 'keeper'],
      ['oldPlain', 'other@mailroom.test', 100],
      ['young', 'shared@mailroom.test', 10, 'keeper'],
      ['youngPlain', 'other@mailroom.test', 95],
    ],
    policy: { publicMaxAgeMs: 96 * H },
    survivors: ['young', 'youngPlain'],
    counts: { publicAge: 2 },
  },
  {
    name: 'public count: the oldest unstarred go, stars neither count nor go',
    users: ['mallory'],
    messages: [
      ['s1', 'shared@mailroom.test', 20, 'mallory'],
      ['s2', 'shared@mailroom.test', 19, 'mallory'],
      ['u1', 'shared@mailroom.test', 9],
      ['u2', 'shared@mailroom.test', 8],
      ['u3', 'shared@mailroom.test', 7],
      ['u4', 'shared@mailroom.test', 6],
      ['u5', 'shared@mailroom.test', 5],
      ['x1', 'small@mailroom.test', 30],
    ],
    policy: { publicMaxPerInbox: 2 },
    survivors: ['s1', 's2', 'u4', 'u5', 'x1'],
    counts: { publicCount: 3 },
  },
  {
    name: 'private age keeps starred mail; a verified private domain is private, a public one is not',
    users: ['owner'],
    reserved: [['mine@mailroom.test', 'owner']],
    domains: [
      ['private.example', 'owner', true],
      ['public.example', 'owner', false],
    ],
    messages: [
      ['mineOld', 'mine@mailroom.test', 500],
      ['mineStarred', 'mine@mailroom.test', 500, 'owner'],
      ['privDomOld', 'any@private.example', 500],
      ['pubDomOld', 'any@public.example', 500],
      ['mineYoung', 'mine@mailroom.test', 10],
    ],
    policy: { privateMaxAgeMs: 96 * H, publicMaxAgeMs: 1000 * H },
    survivors: ['mineStarred', 'pubDomOld', 'mineYoung'],
    counts: { privateAge: 2, publicAge: 0 },
  },
  {
    name: "account quota: private mail plus the public mail it starred; the oldest unstarred private go",
    users: ['alice', 'bob'],
    reserved: [
      ['alice@mailroom.test', 'alice'],
      ['bob@mailroom.test', 'bob'],
    ],
    messages: [
      ['a1', 'alice@mailroom.test', 10],
      ['a2', 'alice@mailroom.test', 9],
      ['a3', 'alice@mailroom.test', 8],
      ['b1', 'bob@mailroom.test', 10],
      ['b2', 'bob@mailroom.test', 9],
      ['b3', 'bob@mailroom.test', 8],
      ['p1', 'pub@mailroom.test', 5, 'alice'],
      ['p2', 'pub@mailroom.test', 4, 'alice'],
    ],
    policy: { privateMaxPerAccount: 3 },
    survivors: ['a3', 'b1', 'b2', 'b3', 'p1', 'p2'],
    counts: { privateQuota: 2 },
  },
  {
    name: "an account's own limits replace the private ones for it alone",
    users: ['plan', 'plain'],
    reserved: [
      ['plan@mailroom.test', 'plan'],
      ['plain@mailroom.test', 'plain'],
    ],
    messages: [
      ['planOld', 'plan@mailroom.test', 300],
      ['planMid', 'plan@mailroom.test', 150],
      ['plainOld', 'plain@mailroom.test', 150],
      ['planNew1', 'plan@mailroom.test', 3],
      ['planNew2', 'plan@mailroom.test', 2],
      ['planNew3', 'plan@mailroom.test', 1],
      ['plainNew', 'plain@mailroom.test', 1],
    ],
    // plan: 200 h and 2 messages; everyone else 100 h and 10 messages.
    policy: { privateMaxAgeMs: 100 * H, privateMaxPerAccount: 10, accounts: [] },
    survivors: ['planNew2', 'planNew3', 'plainNew'],
    counts: { privateAge: 2, privateQuota: 2 },
  },
  {
    name: 'a message is not older than one that arrived before it (the clock stepped back)',
    messages: [
      ['first', 'clock@mailroom.test', 10],
      ['stepped', 'clock@mailroom.test', 200],
      ['last', 'clock@mailroom.test', 300],
    ],
    policy: { publicMaxAgeMs: 96 * H },
    survivors: ['first', 'stepped', 'last'],
    counts: { publicAge: 0 },
  },
];

export function retentionCases(test: Test, world: RetentionWorld): void {
  for (const c of RETENTION_CASES) {
    test(`retention case: ${c.name}`, async () => {
      await world.reset();
      const users = new Map<string, number>();
      for (const u of c.users ?? []) users.set(u, await world.user(u));
      for (const [address, owner] of c.reserved ?? []) await world.reserve(address, users.get(owner)!);
      for (const [domain, owner, isPrivate] of c.domains ?? []) await world.domain(domain, users.get(owner)!, isPrivate);
      const ids = new Map<string, string>();
      for (const [name, inbox, ageH, by] of c.messages) {
        ids.set(name, await world.put(inbox, NOW - ageH * H, by === undefined ? undefined : users.get(by)!));
      }
      const policy: RetentionPolicy = { ...OFF, ...c.policy };
      if (c.name.startsWith("an account's own limits")) policy.accounts = [{ userId: users.get('plan')!, maxAgeMs: 200 * H, maxMessages: 2 }];
      const result = await world.prune(policy, NOW);
      const names = [...ids.keys()];
      const alive = new Set(await world.alive(names.map((n) => ids.get(n)!)));
      assert.equal(names.filter((n) => alive.has(ids.get(n)!)), c.survivors);
      for (const [k, v] of Object.entries(c.counts ?? {})) assert.is(result[k as keyof PruneResult], v, k);
      assert.not.ok(result.aborted);
    });
  }
}
