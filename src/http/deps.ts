import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { ReceiverStats } from '../smtp/receiver.js';
import { localEraser } from '../store/index.js';
import type { MessageEraser } from '../store/bulk-delete.js';
import { createServices, type Services } from '../services/index.js';
import type { GuardedInbox } from './middleware/inbox-guard.js';

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
  /** Bulk deletes; the appliance passes its writer thread. Default: this connection, in batches. */
  eraser?: MessageEraser;
  /** The use-cases; built from the above when not given. */
  services?: Services;
}

/** WebDeps with the services in place: what routes see. */
export type HttpDeps = WebDeps & { services: Services };

export function withServices(deps: WebDeps): HttpDeps {
  if (deps.services) return deps as HttpDeps;
  const eraser = deps.eraser ?? localEraser(deps.store);
  return { ...deps, eraser, services: createServices({ store: deps.store, config: deps.config, eraser }) };
}

export type AppEnv = {
  Variables: {
    nonce: string;
    /** The inbox of the path and the caller's rights on it (middleware/inbox-guard.ts). */
    inbox?: GuardedInbox;
    /** A POSTed form's string fields, after the CSRF check (middleware/csrf.ts). */
    form?: Record<string, string>;
  };
};
