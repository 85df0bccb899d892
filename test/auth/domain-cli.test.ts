// The operator's domain commands: domain add | list | verify | remove, on a
// real SQLite store, with DNS answered by stubs (never the network), and the
// same rules the API applies (config domains stay the operator's, one owner).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { openStore, type Store } from '../../src/store/index.js';
import { runCli, UsageError } from '../../src/cli/main.js';
import { testConfig, tempDir } from '../helpers/mailroom.js';
import type { Config } from '../../src/config.js';

let dir: string;
let store: Store;
let config: Config;
const txt = new Map<string, string[][]>();
const mx = new Map<string, Array<{ exchange: string; priority: number }>>();

test.before(async () => {
  dir = tempDir('mailroom-domain-cli-');
  config = testConfig({}, dir);
  store = openStore(dir);
  await store.users.create({ username: 'acme', role: 'user' });
  await store.users.create({ username: 'rival', role: 'user' });
});

test.after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number | 'usage' | 'error'; out: string; err: string; message?: string }> {
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await runCli(
      argv,
      {
        store,
        config,
        resolveTxt: async (n) => txt.get(n) ?? [],
        resolveMx: async (n) => {
          const r = mx.get(n);
          if (!r) throw Object.assign(new Error('queryMx ENODATA'), { code: 'ENODATA' });
          return r;
        },
      },
      { out: (s) => out.push(s), err: (s) => err.push(s), stdin: async () => '' },
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  } catch (e) {
    return { code: e instanceof UsageError ? 'usage' : 'error', out: out.join('\n'), err: err.join('\n'), message: (e as Error).message };
  }
}

test('domain add prints the records; the rules are the API\'s', async () => {
  const r = await cli('domain', 'add', 'Shop.Example.', '--user', 'acme');
  assert.is(r.code, 0, r.message);
  assert.match(r.out, /shop\.example added for acme/);
  const token = txtValueOf('shop.example');
  assert.match(r.out, new RegExp(`TXT\\s+shop\\.example\\s+${token}`));
  assert.match(r.out, /MX\s+shop\.example\s+10 mx\.mailroom\.test/);
  assert.is((await cli('domain', 'add', 'shop.example', '--user', 'rival')).message, 'shop.example was already added by acme');
  assert.match((await cli('domain', 'add', 'sub.mailroom.test', '--user', 'acme')).message ?? '', /stays the operator's/);
  assert.is((await cli('domain', 'add', 'x.example')).code, 'usage', '--user is required');
  assert.is((await cli('domain', 'add', 'x.example', '--user', 'nobody')).message, 'no user named nobody');
});

test('domain verify: exit 1 until the TXT record is there, then verified; MX reported', async () => {
  let r = await cli('domain', 'verify', 'shop.example');
  assert.is(r.code, 1);
  assert.match(r.out, /not verified \(MX does not point here\); its mail is refused/);
  assert.match(r.err, /No TXT record mailroom-verification=/);
  assert.is(store.domains.verifiedOwner('shop.example'), null);

  txt.set('shop.example', [[txtValueOf('shop.example')]]);
  mx.set('shop.example', [{ exchange: 'mx.mailroom.test', priority: 10 }]);
  r = await cli('domain', 'verify', 'shop.example');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /shop\.example is verified \(MX points here\); its mail is accepted/);
  assert.is(store.domains.verifiedOwner('shop.example')?.ownerId, store.users.byName('acme')!.id);
  assert.is((await cli('domain', 'verify', 'unknown.example')).code, 'error');
  // Verified: its owner may reserve any local part there, nobody else may.
  assert.is((await cli('address', 'reserve', 'sales@shop.example', '--user', 'acme')).code, 0);
  assert.is(store.addresses.ownerOf('sales@shop.example'), store.users.byName('acme')!.id);
  assert.is((await cli('address', 'reserve', 'other@shop.example', '--user', 'rival')).message, "shop.example is acme's domain: only that account may reserve addresses there");
  assert.match((await cli('address', 'reserve', '*@shop.example', '--user', 'acme')).message ?? '', /catch-all address of shop\.example/);
  assert.is((await cli('domain', 'verify')).code, 'usage');
});

test('domain list shows every account\'s domains, or one account\'s', async () => {
  await cli('domain', 'add', 'rival.example', '--user', 'rival');
  store.domains.updateSettings('shop.example', { webhook: 'https://hooks.example/x', enablews: true });
  const all = await cli('domain', 'list');
  assert.match(all.out, /^DOMAIN\s+OWNER\s+VERIFIED\s+MX\s+PRIVATE\s+CATCH-ALL\s+PUSH\s+CREATED/);
  assert.match(all.out, /rival\.example\s+rival\s+no\s+no\s+yes\s+no\s+-\s/);
  assert.match(all.out, /shop\.example\s+acme\s+\d{4}-\d\d-\d\dT\S+Z\s+yes\s+yes\s+no\s+webhook,websocket\s/);
  const acme = await cli('domain', 'list', 'acme');
  assert.ok(acme.out.includes('shop.example'));
  assert.not.ok(acme.out.includes('rival.example'));
});

test('domain remove: its mail is no longer accepted', async () => {
  const r = await cli('domain', 'remove', 'shop.example');
  assert.is(r.code, 0, r.message);
  assert.match(r.out, /shop\.example removed from acme/);
  assert.is(store.domains.get('shop.example'), null);
  assert.is((await cli('domain', 'remove', 'shop.example')).code, 'error');
  assert.match((await cli('domain', 'list', 'acme')).out, /no account domains/);
});

/** The TXT value the domain was given (what the owner publishes). */
function txtValueOf(domain: string): string {
  return `mailroom-verification=${store.domains.get(domain)!.token}`;
}

test.run();
