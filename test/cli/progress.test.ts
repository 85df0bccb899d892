// The CLI's progress reporting (migrate-store): a bar redrawn in place on a
// terminal, plain lines on a pipe, with rows done of total, rate and ETA.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDuration, progressLine, progressReporter } from '../../src/cli/progress.js';
import type { Io } from '../../src/cli/args.js';

test('a line says what, how far, how fast and how long is left', () => {
  const line = progressLine({ label: 'contents', done: 2500, total: 10000, doneNow: 2000, finished: false }, 4, 'rows', false);
  assert.match(line, /^contents\s+2500\/10000 rows  25%  500 rows\/s  ETA 0:15$/);
  assert.match(progressLine({ label: 'contents', done: 10000, total: 10000, doneNow: 10000, finished: true }, 20, 'rows', true), /\[#{24}\] 10000\/10000 rows 100%  500 rows\/s  done$/);
  assert.match(progressLine({ label: 'users', done: 0, total: 0, doneNow: 0, finished: true }, 0, 'rows', false), /0\/0 rows 100%/);
  assert.is(formatDuration(3725), '1:02:05');
  assert.is(formatDuration(65), '1:05');
});

function io(terminal: boolean): { io: Io; lines: string[]; live: string[] } {
  const lines: string[] = [];
  const live: string[] = [];
  return { io: { out: () => {}, err: (s) => lines.push(s), stdin: async () => '', errLive: terminal ? (s) => live.push(s) : undefined }, lines, live };
}

test('on a pipe: no line for a part until it is done or a while has passed; one line when it is done', () => {
  const o = io(false);
  const report = progressReporter(o.io, 'rows', { lineEveryMs: 60_000 });
  report({ label: 'users', done: 0, total: 3, doneNow: 0, finished: false });
  report({ label: 'users', done: 2, total: 3, doneNow: 2, finished: false });
  report({ label: 'users', done: 3, total: 3, doneNow: 3, finished: true });
  assert.equal(o.live, []);
  assert.is(o.lines.length, 1);
  assert.match(o.lines[0]!, /^users\s+3\/3 rows 100%/);
});

test('on a terminal: the line is redrawn in place, with a bar, and left standing when the part is done', () => {
  const o = io(true);
  const report = progressReporter(o.io, 'rows');
  report({ label: 'messages', done: 0, total: 10, doneNow: 0, finished: false });
  report({ label: 'messages', done: 10, total: 10, doneNow: 10, finished: true });
  assert.is(o.live.length, 2);
  assert.match(o.live[0]!, /\[\.{24}\] 0\/10 rows/);
  assert.equal(o.lines, ['']);
});

test.run();
