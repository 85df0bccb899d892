// The use-cases, built around their dependencies (no module singletons): the
// composition root (main.ts), the CLI and tests each build one.
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import type { MessageEraser } from '../store/bulk-delete.js';
import { InboxService } from './inboxes.js';
import { AddressService } from './addresses.js';
import { AccountService } from './accounts.js';
import { DomainService, type TxtResolver } from './domains.js';

export interface Services {
  inboxes: InboxService;
  addresses: AddressService;
  accounts: AccountService;
  /** Domains added by accounts (issue 12). */
  domains: DomainService;
  /** Bulk deletes: the writer thread in the appliance, the own connection in the CLI. */
  eraser: MessageEraser;
}

export function createServices(deps: { store: Store; config: Config; eraser: MessageEraser; resolveTxt?: TxtResolver }): Services {
  return {
    inboxes: new InboxService(deps),
    addresses: new AddressService(deps),
    accounts: new AccountService(deps),
    domains: new DomainService(deps),
    eraser: deps.eraser,
  };
}
