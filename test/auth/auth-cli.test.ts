// The admin CLI: users, keys and addresses, with clear output and exit codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { openStore, type Store } from '../../src/store/index.js';
import { runCli, UsageError } from '../../src/cli/main.js';
import { testConfig, tempDir } from '../helpers/mailroom.js';
import { principalForKey, ensureAdmin } from '../../src/http/middleware/principal.js';
import type { Config } from '../../src/config.js';

let dir: string;
let store: Store;
let config: Config;

test.before(() => {
  dir = tempDir('mailroom-cli-');
  config = testConfig({ auth: { adminKey: 'cli-admin-key-0123456789abcdef' } } as never, dir);
  store = openStore(dir);
});

test.after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number | 'usage' | 'error'; out: string; err: string; message?: string }> {
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await runCli(argv, { store, config }, { out: (s) => out.push(s), err: (s) => err.push(s), stdin: async () => 'from-stdin-password\n' });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } catch (e) {
    return { code: e instanceof UsageError ? 'usage' : 'error', out: out.join('\n'), err: err.join('\n'), message: (e as Error).message };
  }
}

test('user create and list', async () => {
  assert.match((await cli('user', 'create', 'alice', '--password-stdin')).out, /created user alice .*can sign in/);
  assert.ok(await store.users.checkPassword('alice', 'from-stdin-password'));
  assert.match((await cli('user', 'create', 'boss', '--admin')).out, /created admin boss .*API keys only/);
  assert.is((await cli('user', 'create', 'alice')).code, 'error');
  assert.is((await cli('user', 'create', 'x', '--password', 'short')).code, 'error');
  const list = await cli('user', 'list');
  assert.match(list.out, /^ID\s+NAME\s+ROLE/);
  assert.match(list.out, /alice\s+user\s+yes/);
  assert.match(list.out, /boss\s+admin\s+no/);
});

test('key create prints the key once on stdout and it works; revoke stops it', async () => {
  const r = await cli('key', 'create', 'alice', '--name', 'ci');
  assert.match(r.out, /^mr_[A-Za-z0-9_-]{43}$/);
  assert.match(r.err, /shown once/);
  const p = await principalForKey(store, config, r.out);
  assert.is(p.kind === 'user' && p.user.username, 'alice');
  const list = await cli('key', 'list', 'alice');
  assert.match(list.out, /ci\s+mr_/);
  assert.not.ok(list.out.includes(r.out));
  const id = store.keys.listForUser(store.users.byName('alice')!.id)[0]!.id;
  assert.match((await cli('key', 'revoke', String(id))).out, /revoked key/);
  assert.is((await principalForKey(store, config, r.out)).kind, 'anonymous');
  assert.is((await cli('key', 'revoke', String(id))).code, 'error');
  assert.is((await cli('key', 'revoke', 'abc')).code, 'usage');
  assert.is((await cli('key', 'create', 'nobody')).code, 'error');
});

test('address reserve, list, release', async () => {
  assert.match((await cli('address', 'reserve', 'Team+x@mailroom.test', '--user', 'alice')).out, /team@mailroom.test is now private to alice/);
  assert.match((await cli('address', 'reserve', 'team@mailroom.test', '--user', 'boss')).message!, /already owned by alice/);
  assert.match((await cli('address', 'reserve', 'abuse@mailroom.test', '--user', 'alice')).message!, /reserved local part/);
  assert.match((await cli('address', 'reserve', 'a@elsewhere.example', '--user', 'alice')).message!, /not one of the configured domains/);
  assert.is((await cli('address', 'reserve', 'team2@mailroom.test')).code, 'usage');
  assert.match((await cli('address', 'list')).out, /team@mailroom.test\s+alice\s+0/);
  assert.match((await cli('address', 'release', 'team@mailroom.test')).out, /released; its mail is public again/);
  assert.is((await cli('address', 'release', 'team@mailroom.test')).code, 'error');
  assert.is((await cli('address', 'list')).out, 'no reserved addresses');
});

test('ensureAdmin makes the admin key act as an admin user, idempotently', async () => {
  const a = (await ensureAdmin(store, config))!;
  assert.is(a.role, 'admin');
  assert.is((await ensureAdmin(store, config))!.id, a.id);
  const p = await principalForKey(store, config, 'cli-admin-key-0123456789abcdef');
  assert.is(p.kind === 'user' && p.user.role, 'admin');
  assert.is(await ensureAdmin(store, { ...config, auth: { ...config.auth, adminKey: '' } }), null);
});

test('the real command: exit codes 0, 1 and 2', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.resolve('src/cli/main.ts'), ...args], {
      env: { ...process.env, MAILROOM_DATA_DIR: dir, MAILROOM_CONFIG: path.resolve('config/mailroom.yaml') },
      encoding: 'utf8',
    });
  const ok = run('user', 'list');
  assert.is(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /alice/);
  const fail = run('key', 'create', 'nobody');
  assert.is(fail.status, 1);
  assert.match(fail.stderr, /no user named nobody/);
  const usage = run('frobnicate');
  assert.is(usage.status, 2);
  assert.match(usage.stderr, /usage: mailroom/);
});

test.run();
