// The main thread answers SMTP and HTTP; parsing and sanitizing run in worker
// threads, and PostgreSQL, billing and certificate making only when
// configured. Each package loaded into the main thread stays in its heap for
// the life of the process (issue 16: server RSS < 250 MB; jsdom alone was
// +95 MB, mailparser, stripe, selfsigned and postgres ~30 MB together,
// docs/performance.md runs H and P). This starts a fresh process that imports
// src/main.ts and lists every package its ESM imports resolve to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

// A resolve hook (module.register) that prints each package an import resolves into.
const HOOK = `export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
  if (m) process.stderr.write('PKG ' + m[1] + '\\n');
  return r;
}`;

function packagesLoadedBy(entry: string): Set<string> {
  const script = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));
await import(${JSON.stringify(path.join(ROOT, entry))});`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  return new Set([...r.stderr.matchAll(/^PKG (\S+)$/gm)].map((m) => m[1]!));
}

test('importing the server loads none of the packages only workers or optional features need', () => {
  const loaded = packagesLoadedBy('src/main.ts');
  // The probe works: packages the main thread does use are seen.
  assert.ok(loaded.has('better-sqlite3'), [...loaded].join(' '));
  assert.ok(loaded.has('smtp-server'), [...loaded].join(' '));
  for (const pkg of ['jsdom', 'dompurify', 'mailparser', 'stripe', 'selfsigned', 'postgres']) {
    assert.not.ok(loaded.has(pkg), `${pkg} is loaded into the main thread`);
  }
});

test.run();
