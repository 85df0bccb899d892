import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { ReceiverStats } from '../smtp/receiver.js';

export interface HealthReport {
  ok: boolean;
  /** Listener state plus every refusal counted since start (issue 6: each refusal is visible here). */
  smtp: ReceiverStats & { ok: boolean; connections: number };
  store: { ok: boolean };
  parseQueue: number;
}

/** What the web app needs from the rest of the process; passed in, never imported as singletons. */
export interface WebDeps {
  config: Config;
  store: Store;
  log: Logger;
  /** Current health of the other parts (SMTP listener, parse queue). */
  health: () => Omit<HealthReport, 'ok' | 'store'>;
}

export type AppEnv = { Variables: { nonce: string } };
