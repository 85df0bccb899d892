// Every command, by the words that name it.
import type { Command } from '../args.js';
import { userCreate } from './user-create.js';
import { userList } from './user-list.js';
import { userPassword } from './user-password.js';
import { userRole } from './user-role.js';
import { keyCreate } from './key-create.js';
import { keyList } from './key-list.js';
import { keyRevoke } from './key-revoke.js';
import { addressReserve } from './address-reserve.js';
import { addressRelease } from './address-release.js';
import { addressList } from './address-list.js';
import { exportCommand } from './export.js';
import { deleteCommand } from './delete.js';
import { audit } from './audit.js';
import { backup } from './backup.js';
import { reparse } from './reparse.js';
import { migrateStore } from './migrate-store.js';
import { domainAdd, domainList, domainRemove, domainVerify } from './domain.js';

/** Two-word commands ("user create"), and the one-word ones ("audit", "backup") under their word. */
export const COMMANDS: Record<string, Command> = {
  'user create': userCreate,
  'user list': userList,
  'user password': userPassword,
  'user role': userRole,
  'key create': keyCreate,
  'key list': keyList,
  'key revoke': keyRevoke,
  'address reserve': addressReserve,
  'address release': addressRelease,
  'address list': addressList,
  'domain list': domainList,
  'domain add': domainAdd,
  'domain verify': domainVerify,
  'domain remove': domainRemove,
  'export address': exportCommand('address'),
  'export account': exportCommand('account'),
  'delete address': deleteCommand('address'),
  'delete account': deleteCommand('account'),
  audit,
  backup,
  reparse,
  'migrate-store': migrateStore,
};
