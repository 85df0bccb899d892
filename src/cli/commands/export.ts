// export address <email> [--out FILE] | export account <user> [--out FILE]:
// everything held for them as a ZIP (mbox + manifest.json), written as it is read.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { countMessages, exportData } from '../../services/data-rights.js';
import { safeEntryName } from '../../privacy/zip.js';
import { stringOpt, type Command } from '../args.js';
import { dataSubject } from './data-subject.js';

export const exportCommand =
  (kind: 'address' | 'account'): Command =>
  async (ctx) => {
    const { store, config, io } = ctx;
    const { subject, name } = await dataSubject(ctx, kind, 'export address <email> [--out FILE]');
    const file = stringOpt(ctx.opts, 'out') ?? safeEntryName(`mailroom-export-${name.replace(/\//g, '_')}.zip`);
    const total = await countMessages(store, subject);
    await store.data.audit.record({ actor: 'cli', action: 'export', target: name, detail: { messages: total, account: kind === 'account' } });
    const out = createWriteStream(file, { mode: 0o600 });
    let last = 0;
    const r = await exportData(
      store,
      subject,
      async (chunk) => {
        if (!out.write(chunk)) await once(out, 'drain');
      },
      {
        config,
        billingRecords: (id) => ctx.services.billing.exportRecords(id),
        // Progress on stderr, so stdout stays clean for scripts.
        onProgress: ({ done, total: all }) => {
          const pct = all ? Math.floor((done / all) * 100) : 100;
          if (pct >= last + 10 || done === all) {
            last = pct;
            io.err(`exported ${done}/${all} messages (${pct}%)`);
          }
        },
      },
    );
    out.end();
    await once(out, 'close');
    io.out(`wrote ${file}: ${r.messages} messages`);
    return 0;
  };
