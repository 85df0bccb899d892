// Runs prune() (retention.ts) on the node-cron schedule from the config. The
// schedule only says when; what goes is decided by the policy and `now`.
// - Never two runs at once: a tick that finds a run in progress is skipped
//   (node-cron's noOverlap, and our own guard for manual runs).
// - No double run when the wall clock steps back or a daylight-saving
//   fall-back repeats an hour (bad-input 70): a scheduled tick that comes less
//   than half the schedule's shortest interval after the previous run, measured
//   on the monotonic clock, is skipped. A double run would be harmless anyway:
//   prune() never deletes anything younger than the policy.
// - stop() ends a run between two batches and waits for it (shutdown).
import cron, { type ScheduledTask } from 'node-cron';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import { policyFromConfig, prune, type AccountRetention, type PruneResult, type RetentionPolicy } from './retention.js';

export interface SchedulerDeps {
  config: Config;
  store: Store;
  log: Logger;
  /** Wall clock for the policy (tests pass a fake one). */
  now?: () => number;
  /** Monotonic clock (ms) for the double-run guard. */
  monotonic?: () => number;
  /**
   * Where prune() runs. main.ts hands it to the writer thread, whose loop
   * interleaves the batches with SMTP group commits; by default it runs here
   * on `store`.
   */
  runner?: { prune(policy: RetentionPolicy, now: number): Promise<PruneResult>; abort(): void };
  /** Accounts kept by their own rules (billing plans, issue 15), asked afresh at each run. */
  accountRetention?: (now: number) => Promise<AccountRetention[]>;
}

export class RetentionScheduler {
  private task: ScheduledTask | null = null;
  private running: Promise<PruneResult | null> | null = null;
  private stopping = false;
  private lastScheduledStart: number | null = null;
  /** Half the shortest gap between two ticks of the pattern. */
  readonly minGapMs: number;
  runs = 0;
  skipped = 0;
  last: PruneResult | null = null;

  constructor(private readonly deps: SchedulerDeps) {
    const { schedule, timezone } = deps.config.retention;
    this.minGapMs = schedule === 'off' ? 0 : shortestGapMs(schedule, timezone) / 2;
  }

  start(): void {
    const { schedule, timezone } = this.deps.config.retention;
    if (this.task || schedule === 'off') return;
    this.task = cron.schedule(schedule, () => this.tick(), { timezone, noOverlap: true, name: 'retention' });
  }

  /** A scheduled tick: skipped when a run is in progress or one started too recently (monotonic). */
  async tick(): Promise<PruneResult | null> {
    const mono = (this.deps.monotonic ?? performance.now.bind(performance))();
    if (this.running || (this.lastScheduledStart !== null && mono - this.lastScheduledStart < this.minGapMs)) {
      this.skipped++;
      this.deps.log.info({ running: this.running !== null }, 'retention run skipped');
      return null;
    }
    this.lastScheduledStart = mono;
    return this.runNow('scheduled');
  }

  /** Runs now (or joins the run in progress). */
  runNow(reason: 'scheduled' | 'manual' = 'manual'): Promise<PruneResult | null> {
    if (this.stopping) return Promise.resolve(null);
    this.running ??= this.run(reason).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(reason: string): Promise<PruneResult | null> {
    const { store, config, log } = this.deps;
    const started = performance.now();
    try {
      const now = (this.deps.now ?? Date.now)();
      const policy = { ...policyFromConfig(config), accounts: (await this.deps.accountRetention?.(now)) ?? [] };
      const r = this.deps.runner ? await this.deps.runner.prune(policy, now) : await prune(store, policy, now, { aborted: () => this.stopping });
      this.runs++;
      this.last = r;
      log.info({ reason, ...r, ms: Math.round(performance.now() - started) }, 'retention run');
      return r;
    } catch (err) {
      log.error({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'retention run failed');
      return null;
    }
  }

  /** Stops the schedule; a run in progress ends after its current batch. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.running) this.deps.runner?.abort();
    if (this.task) {
      await this.task.destroy();
      this.task = null;
    }
    await this.running;
  }
}

/** The shortest interval between consecutive ticks of a pattern (looking a few ticks ahead). */
export function shortestGapMs(pattern: string, timezone: string): number {
  const task = cron.createTask(pattern, () => {}, { timezone });
  try {
    const runs = task.getNextRuns(6).map((d) => d.getTime());
    let min = Number.POSITIVE_INFINITY;
    for (let i = 1; i < runs.length; i++) min = Math.min(min, runs[i]! - runs[i - 1]!);
    return Number.isFinite(min) && min > 0 ? min : 60_000;
  } finally {
    void task.destroy();
  }
}
