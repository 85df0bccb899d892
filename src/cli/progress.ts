// Progress of a long CLI command on stderr (stdout stays for results): on a
// terminal one line redrawn in place with a bar, at most ten times a second;
// on a pipe or in a log, plain lines, at most one every few seconds plus one
// when each part finishes, so a log of a long run stays readable.
import type { Io } from './args.js';

export interface ProgressUpdate {
  /** What is being worked on (a table name). */
  label: string;
  done: number;
  total: number;
  /** Units done by this run, for the rate (a resumed run starts with done > 0). */
  doneNow: number;
  finished: boolean;
}

const BAR = 24;

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** "contents  3500/10000  35%  1200 rows/s  ETA 0:05". */
export function progressLine(u: ProgressUpdate, elapsedS: number, unit: string, bar: boolean): string {
  const pct = u.total ? Math.min(100, Math.floor((u.done / u.total) * 100)) : 100;
  const rate = elapsedS > 0 ? u.doneNow / elapsedS : 0;
  const eta = u.finished ? 'done' : rate > 0 ? `ETA ${formatDuration((u.total - u.done) / rate)}` : 'ETA ?';
  const filled = Math.round((pct / 100) * BAR);
  const drawn = bar ? `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ` : '';
  return `${u.label.padEnd(22)} ${drawn}${u.done}/${u.total} ${unit} ${String(pct).padStart(3)}%  ${Math.round(rate)} ${unit}/s  ${eta}`;
}

export function progressReporter(io: Io, unit: string, opts: { lineEveryMs?: number } = {}): (u: ProgressUpdate) => void {
  const live = io.errLive;
  const every = live ? 100 : (opts.lineEveryMs ?? 2000);
  let label = '';
  let started = 0;
  let lastShown = 0;
  return (u) => {
    const now = Date.now();
    if (u.label !== label) {
      label = u.label;
      started = now;
      // A terminal shows the new part at once; a log gets its first line after a while, or when it is done.
      lastShown = live ? 0 : now;
    }
    if (!u.finished && now - lastShown < every) return;
    lastShown = now;
    const line = progressLine(u, (now - started) / 1000, unit, Boolean(live));
    if (live) {
      live(line);
      if (u.finished) io.err('');
    } else io.err(line);
  };
}
