// Every numbered line of the hostile input catalogue (../shared/reference/
// bad-inputs.md) has a test named `bad-input N: …` somewhere under test/, or
// an entry in NOT_APPLICABLE below saying why not (issue 6, "Done means").
// A test title may name several lines: `bad-inputs 17, 19, 20` or
// `bad-input 5 and 62` count for each number.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TEST_DIR = path.join(ROOT, 'test');

/** Where the catalogue lives: the shared reference, or a copy named by MAILROOM_BAD_INPUTS. */
function cataloguePath(): string | null {
  const candidates = [
    process.env.MAILROOM_BAD_INPUTS,
    path.resolve(ROOT, '../shared/reference/bad-inputs.md'),
    path.resolve(ROOT, 'test/fixtures/bad-inputs.md'),
  ].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** Why a catalogue line has no `bad-input N` test of its own. */
interface Exemption {
  reason: string;
  /** A test elsewhere that covers the line under another title: the file must hold the title. */
  coveredBy?: { file: string; title: string };
  /** Another issue is building the feature now; its tests may land before or after this table changes. */
  pending?: string;
}

/**
 * Catalogue lines with no test of their own, and why. Keep the reason
 * honest: `coveredBy` is checked to exist; a plain "not applicable" names
 * the feature that does not exist, and the test below checks that it still
 * does not.
 */
export const NOT_APPLICABLE: Record<number, Exemption> = {
  33: {
    reason: 'covered by issue 4\'s retention test: 190,000 of 200,000 messages pruned while SMTP keeps receiving, every 250 stored',
    coveredBy: { file: 'test/jobs/retention-scale.test.ts', title: '200,000 messages, 190,000 pruned while SMTP keeps receiving' },
  },
  69: {
    reason: 'covered by issue 4\'s data-rights test: marker gone from every route, search, export, SQL and the bytes of the file and WAL; idempotent',
    coveredBy: { file: 'test/privacy/data-rights.test.ts', title: 'delete everything for an address: no route, search, export, count or byte of the file and WAL keeps its marker' },
  },
  70: {
    reason: 'covered by issue 4\'s retention tests with a fake clock: a clock stepped back and a DST change',
    coveredBy: { file: 'test/jobs/retention.test.ts', title: 'a daylight-saving change (Europe/Berlin, 30 March 2025)' },
  },
};

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures' && name !== 'node_modules') out.push(...testFiles(p));
    } else if (/\.(test\.)?tsx?$/.test(name)) out.push(p);
  }
  return out;
}

/** Catalogue numbers named by test titles: test('bad-input 7 and 16: …') or test(`bad-inputs 17, 19: …`). */
export function namedNumbers(source: string): Set<number> {
  const found = new Set<number>();
  // A title starts right after test( (or test.<modifier>() with a quote or backtick.
  const title = /\btest(?:\.[a-z]+)?\(\s*(['"`])(bad-inputs? [^'"`]*?):/g;
  for (const m of source.matchAll(title)) {
    const head = m[2]!.replace(/^bad-inputs? /, '');
    for (const n of head.match(/\d+/g) ?? []) found.add(Number(n));
  }
  return found;
}

const catalogue = cataloguePath();

test('the catalogue is found and numbered 1..N without gaps', () => {
  assert.ok(catalogue, 'bad-inputs.md not found (set MAILROOM_BAD_INPUTS)');
  const numbers = [...readFileSync(catalogue!, 'utf8').matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]));
  assert.ok(numbers.length >= 70, `found ${numbers.length} numbered lines`);
  assert.equal(numbers, numbers.map((_, i) => i + 1), 'numbered 1..N in order');
});

test('every catalogue line has a test named after it, or a reason in NOT_APPLICABLE', () => {
  const text = readFileSync(catalogue!, 'utf8');
  const numbers = [...text.matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]));
  const named = new Set<number>();
  for (const f of testFiles(TEST_DIR)) for (const n of namedNumbers(readFileSync(f, 'utf8'))) named.add(n);
  const missing = numbers.filter((n) => !named.has(n) && !(n in NOT_APPLICABLE));
  assert.equal(missing, [], `catalogue lines with neither a test nor a reason: ${missing.join(', ')}`);
  // A reason that has gone stale (the line now has a test) must be removed; pending ones flip when their issue lands.
  const stale = Object.keys(NOT_APPLICABLE).map(Number).filter((n) => named.has(n) && !NOT_APPLICABLE[n]!.pending);
  assert.equal(stale, [], `NOT_APPLICABLE lists lines that now have tests: ${stale.join(', ')}`);
  const unknown = Object.keys(NOT_APPLICABLE).map(Number).filter((n) => !numbers.includes(n));
  assert.equal(unknown, [], 'NOT_APPLICABLE names lines the catalogue does not have');
  const covered = numbers.filter((n) => named.has(n)).length;
  console.log(`catalogue: ${covered} of ${numbers.length} lines have tests; not applicable or elsewhere: ${Object.keys(NOT_APPLICABLE).join(', ')}`);
});

test('every "covered by" names a test that exists', () => {
  for (const [n, e] of Object.entries(NOT_APPLICABLE)) {
    if (!e.coveredBy) continue;
    const file = path.join(ROOT, e.coveredBy.file);
    assert.ok(existsSync(file), `line ${n}: ${e.coveredBy.file} is gone`);
    assert.ok(readFileSync(file, 'utf8').includes(e.coveredBy.title), `line ${n}: no test titled "${e.coveredBy.title}" in ${e.coveredBy.file}`);
  }
  // The clock-stepped-back half of line 70.
  assert.ok(readFileSync(path.join(ROOT, 'test/jobs/retention.test.ts'), 'utf8').includes('clock stepped back'));
});

test('the title parser reads single, "and" and comma forms', () => {
  const src = "test('bad-input 7 and 16: x', ...); test(`bad-inputs 17, 19, 20, 31: y`, ...); test('bad-input 3: z')";
  assert.equal([...namedNumbers(src)].sort((a, b) => a - b), [3, 7, 16, 17, 19, 20, 31]);
  assert.equal([...namedNumbers("test('not bad-input 9: x')")], []);
});

test.run();
