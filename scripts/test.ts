// Runs every test file under test/ in its own process and ends with the line
// `N passed, N failed`. Each uvu file runs alone so sockets, databases and
// timers of one cannot hide in another, and so three ways uvu can look green
// while proving nothing are caught (GUIDE, "Tests"):
//   - a file that forgets test.run() prints no summary: counted as a failure;
//   - a before() hook that throws leaves tests unrun while uvu exits 0: any
//     test not passed (Total - Passed) is counted as failed;
//   - open handles: a file whose process is still alive 10 s after its summary
//     is killed and counted as failed.
// First a preflight (scripts/test-preflight.ts) makes sure the system programs
// the tests start (Chromium, swaks, openssl) are installed, or says how.
// Usage: npm test [-- path/or/substring ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { runPreflight } from './test-preflight.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 10 * 60_000);
const EXIT_GRACE_MS = 10_000;

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures' && !name.startsWith('_')) out.push(...findTests(p));
    } else if (/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

interface FileResult {
  file: string;
  total: number;
  passed: number;
  skipped: number;
  failed: number;
  problem: string;
  ms: number;
}

function summaryNumber(out: string, label: string): number | null {
  const m = out.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'));
  return m ? Number(m[1]) : null;
}

function runFile(file: string): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let problem = '';
    let summarySeen = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const onData = (chunk: Buffer, stream: NodeJS.WriteStream) => {
      const s = chunk.toString();
      out += s;
      stream.write(s);
      if (!summarySeen && /^\s*Duration:/m.test(out)) {
        summarySeen = true;
        graceTimer = setTimeout(() => {
          problem = `still running ${EXIT_GRACE_MS / 1000}s after its summary (open handles)`;
          child.kill('SIGKILL');
        }, EXIT_GRACE_MS);
      }
    };
    child.stdout.on('data', (c: Buffer) => onData(c, process.stdout));
    child.stderr.on('data', (c: Buffer) => onData(c, process.stderr));
    const timeout = setTimeout(() => {
      problem = `timed out after ${FILE_TIMEOUT_MS / 1000}s`;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timeout);
      clearTimeout(graceTimer);
      const total = summaryNumber(out, 'Total');
      const passed = summaryNumber(out, 'Passed') ?? 0;
      const skipped = summaryNumber(out, 'Skipped') ?? 0;
      if (total === null && !problem) problem = 'printed no uvu summary (missing test.run()?)';
      else if (total === 0 && !problem) problem = 'ran no test';
      else if (code !== 0 && !problem) problem = `exited with ${signal ?? code}`;
      if (skipped > 0 && !problem) problem = `${skipped} skipped test(s): no skipped tests are left behind`;
      const t = total ?? 0;
      let failed = Math.max(0, t - passed);
      if (problem && failed === 0) failed = 1;
      resolve({ file: path.relative(ROOT, file), total: t, passed, skipped, failed, problem, ms: Date.now() - started });
    });
  });
}

async function main(): Promise<void> {
  if (!runPreflight()) process.exit(1);
  const filters = process.argv.slice(2);
  let files = findTests(path.join(ROOT, 'test'));
  if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
  if (!files.length) {
    console.log('no test files found');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const results: FileResult[] = [];
  for (const f of files) {
    console.log(`\n▶ ${path.relative(ROOT, f)}`);
    results.push(await runFile(f));
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log('\nFiles:');
  for (const r of results) {
    const mark = r.failed ? 'FAIL' : 'ok  ';
    console.log(`  ${mark} ${r.file}  ${r.passed}/${r.total}  ${(r.ms / 1000).toFixed(1)}s${r.problem ? `  — ${r.problem}` : ''}`);
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

void main();
