// Loading and validating config/mailroom.yaml and its MAILROOM_* overrides.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, isMap, isPair, isScalar, type YAMLMap } from 'yaml';
import { loadConfig, configKeys, envNameFor, ConfigError } from '../src/config.js';
import { tempDir } from './helpers/temp.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SHIPPED = path.join(ROOT, 'config/mailroom.yaml');

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  assert.unreachable('expected a ConfigError');
  return [];
}

function writeConfig(text: string): string {
  const f = path.join(tempDir(), 'mailroom.yaml');
  writeFileSync(f, text);
  return f;
}

test('the shipped file loads, and its values are the schema defaults', () => {
  const fromFile = loadConfig({ file: SHIPPED, env: {}, cwd: ROOT });
  const noFile = loadConfig({ file: writeConfig('{}\n'), env: {}, cwd: ROOT });
  assert.equal(fromFile, noFile);
  assert.equal(fromFile.domains, ['mailroom.test']);
  assert.is(fromFile.smtp.port, 2525);
  assert.is(fromFile.http.port, 8080);
  assert.is(fromFile.storage.dataDir, path.join(ROOT, 'data'));
});

test('every key is documented with a comment in the shipped file', () => {
  const doc = parseDocument(readFileSync(SHIPPED, 'utf8'));
  for (const { path: keyPath } of configKeys()) {
    let node: unknown = doc.contents;
    let commented = false;
    for (const part of keyPath.split('.')) {
      assert.ok(isMap(node), `${keyPath}: parent is a mapping in the file`);
      const map = node as YAMLMap & { commentBefore?: string | null };
      const index = map.items.findIndex((p) => isPair(p) && isScalar(p.key) && p.key.value === part);
      assert.ok(index >= 0, `${keyPath} is present in config/mailroom.yaml`);
      const pair = map.items[index];
      const key = pair.key as { commentBefore?: string | null };
      // The yaml library hangs the comment above a mapping's first key on the mapping itself.
      commented = Boolean(key.commentBefore) || (index === 0 && Boolean(map.commentBefore));
      node = pair.value;
    }
    assert.ok(commented, `${keyPath} has a comment above it`);
  }
});

test('environment overrides win over the file, with the documented names', () => {
  const file = writeConfig('domains: [a.example]\nsmtp:\n  port: 2000\n');
  const c = loadConfig({
    file,
    cwd: ROOT,
    env: {
      MAILROOM_SMTP_PORT: '2600',
      MAILROOM_HTTP_PORT: '8181',
      MAILROOM_DOMAINS: 'one.example, Two.Example.',
      MAILROOM_DATA_DIR: '/var/lib/mailroom',
      MAILROOM_SMTP_MAX_MESSAGE_SIZE: '1048576',
      MAILROOM_LOG_CONTENT: 'true',
      MAILROOM_PRIVACY_RESERVED_LOCAL_PARTS: 'postmaster,abuse',
    },
  });
  assert.is(c.smtp.port, 2600);
  assert.is(c.http.port, 8181);
  assert.equal(c.domains, ['one.example', 'two.example']);
  assert.is(c.storage.dataDir, '/var/lib/mailroom');
  assert.is(c.smtp.maxMessageSize, 1048576);
  assert.is(c.log.content, true);
  assert.equal(c.privacy.reservedLocalParts, ['postmaster', 'abuse']);
});

test('storage.engine postgres: the URL comes from the environment, and naming postgres without one stops the start', () => {
  const c = loadConfig({
    file: writeConfig('{}\n'),
    cwd: ROOT,
    env: { MAILROOM_STORAGE_ENGINE: 'postgres', MAILROOM_STORAGE_POSTGRES_URL: 'postgres://mailroom@db:5432/mailroom' },
  });
  assert.is(c.storage.engine, 'postgres');
  assert.is(c.storage.postgresUrl, 'postgres://mailroom@db:5432/mailroom');
  assert.is(loadConfig({ file: writeConfig('{}\n'), env: {}, cwd: ROOT }).storage.engine, 'sqlite');
  const missing = problemsOf(() => loadConfig({ file: writeConfig('storage:\n  engine: postgres\n'), env: {}, cwd: ROOT }));
  assert.ok(missing.some((p) => p.startsWith('storage.postgresUrl:') && /required when storage.engine is postgres/.test(p)), missing.join('\n'));
  const wrong = problemsOf(() => loadConfig({ file: writeConfig('storage:\n  engine: mysql\n  postgresUrl: http://x\n'), env: {}, cwd: ROOT }));
  assert.ok(wrong.some((p) => p.startsWith('storage.engine:')), wrong.join('\n'));
  assert.ok(wrong.some((p) => p.startsWith('storage.postgresUrl:')), wrong.join('\n'));
});

test('smtp.maxDataBytesInFlight below three times smtp.maxMessageSize stops the start (a largest message could never fit)', () => {
  const small = problemsOf(() => loadConfig({ file: writeConfig('smtp:\n  maxMessageSize: 10485760\n  maxDataBytesInFlight: 20971520\n'), env: {}, cwd: ROOT }));
  assert.ok(small.some((p) => p.startsWith('smtp.maxDataBytesInFlight:') && /at least 3 × smtp.maxMessageSize/.test(p)), small.join('\n'));
  const enough = loadConfig({ file: writeConfig('smtp:\n  maxMessageSize: 10485760\n  maxDataBytesInFlight: 31457280\n'), env: {}, cwd: ROOT });
  assert.is(enough.smtp.maxDataBytesInFlight, 31457280);
});

test('MAILROOM_CONFIG names the file; a named file that is missing is an error', () => {
  const file = writeConfig('domains: [from-env-file.example]\n');
  assert.equal(loadConfig({ env: { MAILROOM_CONFIG: file }, cwd: ROOT }).domains, ['from-env-file.example']);
  const problems = problemsOf(() => loadConfig({ env: { MAILROOM_CONFIG: '/nonexistent/mailroom.yaml' }, cwd: ROOT }));
  assert.match(problems[0], /cannot read/);
});

test('IDN domains are stored in their ASCII form', () => {
  const c = loadConfig({ file: writeConfig('domains: [Bücher.Example]\n'), env: {}, cwd: ROOT });
  assert.equal(c.domains, ['xn--bcher-kva.example']);
});

test('every problem is listed with its key path, not just the first', () => {
  const file = writeConfig(
    ['domains: []', 'smtp:', '  port: 70000', '  maxRecipients: 0', '  tls:', '    cert: /x.pem', 'http:', '  publicUrl: ftp://x', 'log:', '  level: loud', 'typo: 1'].join('\n'),
  );
  const problems = problemsOf(() => loadConfig({ file, env: { MAILROOM_ADMIN_KEY: 'short' }, cwd: ROOT }));
  const joined = problems.join('\n');
  for (const key of ['domains', 'smtp.port', 'smtp.maxRecipients', 'smtp.tls', 'http.publicUrl', 'log.level', 'auth.adminKey']) {
    assert.ok(problems.some((p) => p.startsWith(`${key}:`)), `${key} reported in:\n${joined}`);
  }
  assert.match(joined, /typo/);
  assert.match(joined, /MAILROOM_SMTP_PORT/, 'the environment name is given as a hint');
});

test('a YAML syntax error is reported, not thrown raw', () => {
  const problems = problemsOf(() => loadConfig({ file: writeConfig('smtp: [unclosed\n'), env: {}, cwd: ROOT }));
  assert.match(problems[0], /YAML syntax/);
});

test('envNameFor follows the documented rule', () => {
  assert.is(envNameFor('smtp.maxMessageSize'), 'MAILROOM_SMTP_MAX_MESSAGE_SIZE');
  assert.is(envNameFor('domains'), 'MAILROOM_DOMAINS');
});

test('the process exits 1 and lists the problems when the config is invalid', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, MAILROOM_CONFIG: writeConfig('smtp:\n  port: nope\n'), MAILROOM_DOMAINS: '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.is(r.status, 1);
  assert.match(r.stderr, /smtp\.port/);
});

test.run();
