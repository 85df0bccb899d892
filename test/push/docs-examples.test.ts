// The two examples in docs/push.md, run as written against a real Mailroom:
// the Mailsac websocket client prints the message sent over SMTP, and the
// webhook receiver verifies Mailroom's signature (and refuses a forged one).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startApiMailroom, makeUser, sendMail, api } from '../api/_helpers.js';
import { freePort } from '../helpers/child-process.js';
import { until } from './_helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function example(name: string): string {
  const doc = readFileSync(path.join(ROOT, 'docs/push.md'), 'utf8');
  const m = new RegExp(`<!-- example: ${name} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(doc);
  assert.ok(m, `docs/push.md has the ${name} example`);
  return m![1]!;
}

/** Runs an example from a directory inside the repository, so `ws` resolves from its node_modules. */
function run(name: string, env: Record<string, string>): { child: ChildProcess; out: () => string; dir: string } {
  const dir = mkdtempSync(path.join(ROOT, '.docs-example-'));
  const file = path.join(dir, `${name}.mjs`);
  writeFileSync(file, example(name));
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, out: () => out, dir };
}

test('docs/push.md websocket client: prints the message sent over SMTP', async () => {
  const m = await startApiMailroom();
  const u = await makeUser(m.store, 'docsws');
  m.store.addresses.reserve('docs@mailroom.test', u.id, { enablews: true });
  const ex = run('websocket-client', {
    MAILROOM_WS: `ws://127.0.0.1:${m.httpAddress.port}/incoming-messages`,
    MAILROOM_KEY: u.key,
    ADDRESSES: 'docs@mailroom.test',
  });
  try {
    await until(() => ex.out().includes('listening on docs@mailroom.test'), 10_000, `the client to listen: ${ex.out()}`);
    await sendMail(m, { to: 'docs@mailroom.test', subject: 'From the docs', text: 'docs body' });
    await until(() => ex.out().includes('"subject":"From the docs"'), 10_000, `the message line: ${ex.out()}`);
    const line = JSON.parse(ex.out().split('\n').find((l) => l.includes('From the docs'))!);
    assert.is(line.inbox, 'docs@mailroom.test');
    assert.match(line.text, /docs body/);
  } finally {
    ex.child.kill();
    rmSync(ex.dir, { recursive: true, force: true });
    await m.cleanup();
  }
});

test('docs/push.md webhook receiver: verifies the signature of a real delivery and refuses a forged one', async () => {
  const port = await freePort();
  const m = await startApiMailroom({ webhooks: { allowPrivateNetworks: true, allowedPorts: [port] } } as never);
  const u = await makeUser(m.store, 'docshook');
  const secret = (await api(m, 'GET', '/api/me/webhook-secret', { key: u.key })).json.secret;
  const ex = run('webhook-receiver', { PORT: String(port), MAILROOM_WEBHOOK_SECRET: secret });
  try {
    await until(() => ex.out().includes('receiver listening'), 10_000, 'the receiver to listen');
    m.store.addresses.reserve('docshook@mailroom.test', u.id, { webhook: `http://127.0.0.1:${port}/hook` });
    await sendMail(m, { to: 'docshook@mailroom.test', subject: 'Signed for the docs' });
    await until(() => ex.out().includes('"subject":"Signed for the docs"'), 10_000, `the verified line: ${ex.out()}`);
    assert.match(ex.out(), /"verified":true/);
    // A forged request (wrong secret) is refused by the same code.
    const body = JSON.stringify({ subject: 'forged' });
    const t = Math.floor(Date.now() / 1000);
    const forged = await fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', body, headers: { 'Mailroom-Signature': `t=${t},v1=${'0'.repeat(64)}` } });
    assert.is(forged.status, 401);
    assert.not.match(ex.out(), /forged/);
  } finally {
    ex.child.kill();
    rmSync(ex.dir, { recursive: true, force: true });
    await m.cleanup();
  }
});

test.run();
