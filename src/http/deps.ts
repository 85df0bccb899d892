import type { Config } from '../config.js';
import type { EngineStore } from '../store/engine-store.js';
import type { Logger } from '../log.js';
import type { ReceiverStats } from '../smtp/receiver.js';
import { localEraser } from '../store/index.js';
import { sqliteOnly } from '../store/engine-store.js';
import type { MessageEraser } from '../store/bulk-delete.js';
import { createServices, type Services } from '../services/index.js';
import type { ReadyEvents } from '../ingest/ready-events.js';
import type { IncomingMessage, StoredIds } from '../store/messages.js';
import type { MxResolver, TxtResolver } from '../services/domains.js';
import type { GuardedInbox } from './middleware/inbox-guard.js';
import type { Principal } from './middleware/principal.js';

export interface HealthReport {
  ok: boolean;
  /** Listener state plus every refusal counted since start (issue 6: each refusal is visible here). */
  smtp: ReceiverStats & { ok: boolean; connections: number };
  store: { ok: boolean };
  parseQueue: number;
  /** Acknowledged messages (250 sent) not ready yet (issue 10). */
  pending: number;
}

/** What the web app needs from the rest of the process; passed in, never imported as singletons. */
export interface WebDeps {
  config: Config;
  store: EngineStore;
  log: Logger;
  /** Current health of the other parts (SMTP listener, parse queue). */
  health: () => Omit<HealthReport, 'ok' | 'store' | 'pending'>;
  /** Messages becoming ready; a read by id of a message not ready yet waits on these. Absent: it polls the store. */
  ready?: ReadyEvents;
  /** How long a read by id waits for readiness before 503 (default READY_WAIT_MS, 2 s). */
  readyWaitMs?: number;
  /** Bulk deletes; the appliance passes its writer thread. Default: this connection, in batches. */
  eraser?: MessageEraser;
  /**
   * The durable ingest path SMTP uses (the writer thread): POST /api/outgoing-messages
   * stores through it (issue 12). Absent: that route answers 503.
   */
  ingest?: (message: IncomingMessage) => Promise<StoredIds>;
  /** DNS TXT lookups for domain verification (issue 12); the system resolver when absent. */
  resolveTxt?: TxtResolver;
  /** DNS MX lookups for domain verification's verifiedMx; see services/domains.ts for the default. */
  resolveMx?: MxResolver;
  /** The use-cases; built from the above when not given. */
  services?: Services;
}

/** WebDeps with the services in place: what routes see. */
export type HttpDeps = WebDeps & { services: Services };

export function withServices(deps: WebDeps): HttpDeps {
  if (deps.services) return deps as HttpDeps;
  const eraser = deps.eraser ?? localEraser(sqliteOnly(deps.store, 'eraser'));
  return { ...deps, eraser, services: createServices({ store: deps.store, config: deps.config, eraser, log: deps.log, resolveTxt: deps.resolveTxt, resolveMx: deps.resolveMx }) };
}

export type AppEnv = {
  Variables: {
    nonce: string;
    /** Who is asking, resolved once per request (middleware/principal.ts: pagePrincipal, apiPrincipal). */
    principal?: Principal;
    /** The inbox of the path and the caller's rights on it (middleware/inbox-guard.ts). */
    inbox?: GuardedInbox;
    /** A POSTed form's string fields, after the CSRF check (middleware/csrf.ts). */
    form?: Record<string, string>;
  };
};
