// migrate-store --to postgres://… [--batch N]: copies this store (the
// configured data directory's SQLite file) into PostgreSQL, resumable and
// verified (issue 14; store/pg/copy-from-sqlite.ts does the work and says
// how). Progress on stderr, the verification on stdout; exit 1 when any
// table differs, so a script can stop before switching engines.
import { openPool } from '../../store/pg/driver.js';
import { copyFromSqlite, openSqliteSnapshot, verifyCopy } from '../../store/pg/copy-from-sqlite.js';
import { table } from '../output.js';
import { progressReporter } from '../progress.js';
import { positiveOpt, sqliteStoreFor, stringOpt, UsageError, type Command } from '../args.js';

export const migrateStore: Command = async ({ opts, io, store: engineStore }) => {
  const store = sqliteStoreFor(engineStore, 'migrate-store', 'the store is in PostgreSQL already');
  const url = stringOpt(opts, 'to');
  if (!url || !/^postgres(ql)?:\/\//.test(url)) throw new UsageError('migrate-store --to postgres://user@host:5432/database');
  const batchRows = positiveOpt(opts, 'batch') ?? 500;
  const snap = openSqliteSnapshot(store.file);
  const sql = openPool(url, { max: 2, applicationName: 'mailroom-migrate-store' });
  // Ctrl-C: a batch is committed with its progress mark or not at all, so
  // stopping at once loses nothing; say how to go on.
  const onSigint = () => {
    io.err('\ninterrupted: run the same command again to continue where it stopped');
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  try {
    io.err(`copying ${store.file} (store ${snap.source}) to ${redact(url)}`);
    const report = progressReporter(io, 'rows');
    const copy = await copyFromSqlite(snap, sql, {
      batchRows,
      onProgress: (p) => report({ label: p.table, done: p.done, total: p.total, doneNow: p.copiedNow, finished: p.finished }),
    });
    if (copy.copied === 0 && copy.resumed) io.out('nothing to copy: every row of this store was already in the target');
    else io.out(`copied ${copy.copied} rows${copy.resumed ? ' (resumed: the rest were copied by an earlier run)' : ''}`);
    io.err('verifying: row counts and checksums of both sides');
    const checks = await verifyCopy(snap, sql);
    io.out(
      table([
        ['table', 'sqlite', 'postgres', 'checksum', 'result'],
        ...checks.map((c) => [c.table, String(c.sqliteRows), String(c.pgRows), c.pgSum.slice(0, 16), c.ok ? 'ok' : `DIFFERS (sqlite ${c.sqliteSum.slice(0, 16)})`]),
      ]),
    );
    const bad = checks.filter((c) => !c.ok);
    if (bad.length) {
      io.out(`verification FAILED: ${bad.map((c) => c.table).join(', ')} differ (see docs/scaling.md, "Moving an existing store to PostgreSQL")`);
      return 1;
    }
    io.out(`verification passed: ${checks.length} tables, ${checks.reduce((n, c) => n + c.pgRows, 0)} rows`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    snap.close();
    await sql.end({ timeout: 5 });
  }
};

/** The URL without its password, for the log line. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the target';
  }
}
