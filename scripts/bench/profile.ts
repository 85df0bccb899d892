// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function,
// inclusive time per function, and self time per area (a package in
// node_modules, a directory of src/, Node internals, GC). That is what the
// core engineer needs to see where the server's time goes.
//   node --import tsx scripts/bench/profile.ts <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  name: string;
  where: string;
  area: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  /** Samples before the first SMTP, commit or parse work (process start-up, module loading), left out. */
  startupMs: number;
  totalMs: number;
  idleMs: number;
  busyMs: number;
  self: FunctionTime[];
  inclusive: FunctionTime[];
  areas: Array<{ area: string; ms: number; pct: number }>;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

function shortUrl(url: string): string {
  let u = url;
  if (u.startsWith('file://')) {
    try {
      u = fileURLToPath(u);
    } catch {
      /* keep as is */
    }
  }
  if (u.startsWith(ROOT + '/')) u = u.slice(ROOT.length + 1);
  return u;
}

export function areaOf(frame: CallFrame): string {
  const name = frame.functionName;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return '(program: native, not JS)';
  const u = shortUrl(frame.url);
  if (!u) return name.startsWith('(') ? name : 'native/builtin';
  const nm = u.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = u.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (u.startsWith('node:')) {
    const m = u.match(/^node:(?:internal\/)?([a-z_]+)/);
    return `node:${m?.[1] ?? u}`;
  }
  const parts = u.split('/');
  if (parts[0] === 'src' || parts[0] === 'scripts') return parts.slice(0, parts.length > 2 ? 2 : 1).join('/');
  return u;
}

// Line numbers are left out: tsx hands V8 transpiled code, so a profile's
// lines do not match the .ts source; function name and file do.
function key(frame: CallFrame): string {
  return `${frame.functionName || '(anonymous)'}\t${shortUrl(frame.url)}`;
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) byId.set(n.id, n);
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, { frame: CallFrame; us: number }>();
  const incl = new Map<string, { frame: CallFrame; us: number }>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let startup = 0;
  let started = false;
  // Start-up (loading and compiling modules through tsx) is not the server's
  // work under load: the summary starts at the first sample doing mail work.
  const working = (id: number): boolean => {
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const f = byId.get(n)!.callFrame;
      const a = areaOf(f);
      if (a === 'smtp-server' || a === 'mailparser' || /group-commit|parse-queue|parse-worker|writer/.test(f.url)) return true;
    }
    return false;
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    if (!started) {
      if (working(node.id)) started = true;
      else {
        startup += us;
        continue;
      }
    }
    total += us;
    const area = areaOf(node.callFrame);
    if (area === 'idle') {
      idle += us;
      continue;
    }
    areas.set(area, (areas.get(area) ?? 0) + us);
    const k = key(node.callFrame);
    const s = self.get(k) ?? { frame: node.callFrame, us: 0 };
    s.us += us;
    self.set(k, s);
    // Inclusive: every distinct function on this sample's stack.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (f.functionName === '(root)') continue;
      const kk = key(f);
      if (seen.has(kk)) continue;
      seen.add(kk);
      const e = incl.get(kk) ?? { frame: f, us: 0 };
      e.us += us;
      incl.set(kk, e);
    }
  }
  const busy = total - idle;
  const rows = (m: Map<string, { frame: CallFrame; us: number }>): FunctionTime[] =>
    [...m.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map(({ frame, us }) => ({
        name: frame.functionName || '(anonymous)',
        where: frame.url ? shortUrl(frame.url) : '',
        area: areaOf(frame),
        ms: us / 1000,
        pct: busy ? (us / busy) * 100 : 0,
      }));
  return {
    startupMs: startup / 1000,
    totalMs: total / 1000,
    idleMs: idle / 1000,
    busyMs: busy / 1000,
    self: rows(self),
    inclusive: rows(incl),
    areas: [...areas.entries()].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: us / 1000, pct: busy ? (us / busy) * 100 : 0 })),
  };
}

/** tsx's module loader thread: it only resolves and loads modules for another thread. */
export function isLoaderThread(s: ProfileSummary): boolean {
  return s.busyMs === 0 || s.inclusive.some((f) => f.name === 'handleMessage' && f.where.includes('modules/esm/worker') && f.pct > 20);
}

export function loadProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

export function formatProfile(title: string, s: ProfileSummary, top = 25): string {
  const lines: string[] = [];
  lines.push(`### ${title}`);
  lines.push(`start-up left out ${(s.startupMs / 1000).toFixed(1)} s; then sampled ${(s.totalMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s (${((s.busyMs / Math.max(1, s.totalMs)) * 100).toFixed(0)}%), idle ${(s.idleMs / 1000).toFixed(1)} s`);
  lines.push('');
  lines.push('self time by area (% of busy):');
  for (const a of s.areas.slice(0, 14)) lines.push(`  ${a.pct.toFixed(1).padStart(5)}%  ${a.area}`);
  lines.push('');
  lines.push(`top ${top} functions by self time (% of busy):`);
  for (const f of s.self.slice(0, top)) lines.push(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  lines.push('');
  lines.push('top functions by inclusive time (% of busy):');
  for (const f of s.inclusive.slice(0, top)) lines.push(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const files = args.filter((a) => a.endsWith('.cpuprofile'));
  const top = Number(args.find((a) => /^\d+$/.test(a)) ?? 25);
  if (!files.length) {
    process.stderr.write('usage: profile.ts <file.cpuprofile>... [top]\n');
    process.exit(2);
  }
  for (const file of files) console.log(formatProfile(path.basename(file), summarizeProfile(loadProfile(file), top), top) + '\n');
}
