// The parent's handle on a target child process (serve-target.ts): start it,
// ask it for CPU, memory and backlog, read its RSS from /proc, stop it.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TargetKind, TargetOptions } from './adapters.js';

const SERVE = path.join(import.meta.dirname, 'serve-target.ts');

export interface StartOptions {
  /** Write a V8 CPU profile of the child here (node --cpu-prof). */
  cpuProfDir?: string;
  cpuProfName?: string;
  /** Extra environment, e.g. TMPDIR so MailDev's default mail dir lands in the bench's temp dir. */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface TargetStats {
  cpu: NodeJS.CpuUsage;
  memory: NodeJS.MemoryUsage;
  backlog: number;
  info: Record<string, unknown>;
}

export class TargetProcess {
  private nextId = 1;
  private pending = new Map<number, { resolve: (m: any) => void; reject: (e: Error) => void }>();
  private exited = false;
  readonly exit: Promise<number | null>;
  private stderr = '';

  private constructor(
    readonly kind: TargetKind,
    readonly child: ChildProcess,
    readonly smtpPort: number,
    readonly httpPort: number | null,
  ) {
    this.exit = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exited = true;
        for (const p of this.pending.values()) p.reject(new Error(`${kind} target exited (${code})`));
        this.pending.clear();
        resolve(code);
      }),
    );
    child.on('message', (m: any) => {
      const p = this.pending.get(m?.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m);
      else p.reject(new Error(`${kind} target: ${m.error}`));
    });
    child.stderr?.on('data', (d) => (this.stderr = (this.stderr + d).slice(-4000)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  static start(kind: TargetKind, opts: TargetOptions, start: StartOptions = {}): Promise<TargetProcess> {
    const execArgv = ['--import', 'tsx'];
    if (start.cpuProfDir) {
      execArgv.push('--cpu-prof', '--cpu-prof-dir', start.cpuProfDir);
      if (start.cpuProfName) execArgv.push('--cpu-prof-name', start.cpuProfName);
    }
    const child = fork(SERVE, [kind, JSON.stringify(opts)], {
      execArgv,
      env: { ...process.env, NODE_ENV: 'production', ...start.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let err = '';
    child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${kind} target did not start in time\n${err}`));
      }, start.startTimeoutMs ?? 60_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${kind} target exited (${code}) before it was ready\n${err}`));
      });
      child.once('message', (m: any) => {
        if (m?.type !== 'ready') return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(new TargetProcess(kind, child, m.smtpPort, m.httpPort));
      });
    });
  }

  request<T = any>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.kind} target has exited`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.kind} target: no answer to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, cmd, ...args });
    });
  }

  stats(): Promise<TargetStats> {
    return this.request<TargetStats>('stats');
  }

  /** Waits until work queued after the 250 (parsing) is done; resolves with how long that took. */
  async idle(timeoutMs = 120_000): Promise<number> {
    const r = await this.request<{ ms: number }>('idle', {}, timeoutMs);
    return r.ms;
  }

  /** Mailroom: when each of these message ids became ready in the server (epochMs), null if not (yet). The server forgets them after. */
  async readyTimes(ids: string[]): Promise<Array<number | null>> {
    const r = await this.request<{ times: Array<number | null> }>('ready-times', { ids });
    return r.times;
  }

  /** Resident and peak resident memory of the whole process, from the kernel (bytes). */
  memory(): { rss: number; peak: number } {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (k: string) => Number(status.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) * 1024;
      return { rss: kb('VmRSS'), peak: kb('VmHWM') };
    } catch {
      return { rss: NaN, peak: NaN };
    }
  }

  /** Graceful stop (so a CPU profile gets written), SIGKILL if it takes too long. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.exited) return;
    const killer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      await this.request('stop', {}, timeoutMs).catch(() => {});
      await this.exit;
    } finally {
      clearTimeout(killer);
    }
  }

  lastStderr(): string {
    return this.stderr;
  }
}
