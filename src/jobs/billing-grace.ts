// The scheduled check for lapsed plans (issue 15): on the retention schedule
// (retention.schedule, retention.timezone; 'off' runs none), release what
// exceeds the free grant of accounts whose grace period ended
// (BillingService.enforceGracePeriods). Never two runs at once; a run that
// finds nothing due changes nothing, so a repeated tick is harmless. Several
// nodes on one database (PostgreSQL) pass `exclusive`, so each tick runs on one.
import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { BillingService, ReleasedAddress } from '../services/billing.js';

export class BillingGraceJob {
  private task: ScheduledTask | null = null;
  private running: Promise<ReleasedAddress[]> | null = null;
  private stopped = false;

  constructor(
    private readonly deps: {
      config: Pick<Config, 'retention'>;
      billing: BillingService;
      log: Logger;
      now?: () => number;
      /** Runs a check where only one node runs it at a time; null: another node is running it. Default: here. */
      exclusive?: <T>(fn: () => Promise<T>) => Promise<T | null>;
    },
  ) {}

  start(): void {
    const { schedule, timezone } = this.deps.config.retention;
    if (this.task || schedule === 'off' || !this.deps.billing.enabled) return;
    this.task = cron.schedule(schedule, () => void this.runNow(), { timezone, noOverlap: true, name: 'billing-grace' });
  }

  /** Runs now, or joins the run in progress. */
  runNow(): Promise<ReleasedAddress[]> {
    if (this.stopped) return Promise.resolve([]);
    const check = () => this.deps.billing.enforceGracePeriods((this.deps.now ?? Date.now)());
    this.running ??= (this.deps.exclusive ? this.deps.exclusive(check).then((r) => r ?? []) : check())
      .catch((err) => {
        this.deps.log.error({ err: { message: (err as Error).message } }, 'billing grace check failed');
        return [];
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.task) {
      await this.task.destroy();
      this.task = null;
    }
    await this.running;
  }
}
