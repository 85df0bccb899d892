// The account repositories on PostgreSQL (repositories.ts has the contract):
// each group's queries bound to the pool, or, inside transaction(), to one
// transaction's connection so their writes commit together.
import type { Sql, TransactionSql } from './driver.js';
import type { Repositories } from '../repositories.js';
import { pgAccountRepositories } from './account-repositories.js';
import { pgOwnershipRepositories } from './ownership-repositories.js';
import { pgBillpushRepositories } from './billpush-repositories.js';

function bound(q: Sql | TransactionSql): Omit<Repositories, 'transaction'> {
  return { ...pgAccountRepositories(q), ...pgOwnershipRepositories(q), ...pgBillpushRepositories(q) };
}

export function pgRepositories(sql: Sql): Repositories {
  return {
    ...bound(sql),
    transaction: async <T>(fn: (tx: Omit<Repositories, 'transaction'>) => Promise<T>): Promise<T> => (await sql.begin((tx) => fn(bound(tx)))) as T,
  };
}
