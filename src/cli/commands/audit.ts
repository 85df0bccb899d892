// audit [--limit N]: the audit log, newest first.
import { date, table } from '../output.js';
import { stringOpt, type Command } from '../args.js';

export const audit: Command = async ({ opts, io, store }) => {
  const given = stringOpt(opts, 'limit');
  const limit = given !== undefined ? Number(given) : 50;
  const rows = [['ID', 'WHEN', 'WHO', 'ACTION', 'TARGET', 'FROM', 'DETAIL']];
  for (const e of await store.data.audit.list({ limit })) rows.push([String(e.id), date(e.at), e.actor, e.action, e.target, e.ip || '-', JSON.stringify(e.detail)]);
  io.out(rows.length > 1 ? table(rows) : 'the audit log is empty');
  return 0;
};
