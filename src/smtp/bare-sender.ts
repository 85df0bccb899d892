// Email Capture's envelope sender may be the bare user name (issue 12):
// Mailsac's examples send `MAIL FROM:<username>`, which smtp-server refuses
// as "Bad sender address syntax" (it wants local@domain and has no option
// for this). For servers created with `bareSender: true`, and only once the
// session has authenticated, a sender that is a plain dot-atom without a
// domain is parsed as if it had one and kept as given. RCPT TO is untouched.
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

interface ConnectionInternals {
  _server: { options: { bareSender?: boolean } };
  session?: { user?: unknown };
  _parseAddressCommand(name: string, command: string): { address: string; args: unknown } | false;
}

/** A user name as Mailroom allows them: letters, digits, dot, dash, underscore, plus. */
const BARE = /^(mail from:\s*<)([A-Za-z0-9][A-Za-z0-9._+-]{0,63})(>.*)$/is;

let installed = false;

/** Returns false (changing nothing) if smtp-server's internals are not the shape this was written against (3.21). */
export function installBareSender(): boolean {
  if (installed) return true;
  const proto = (SMTPConnection as unknown as { prototype: ConnectionInternals }).prototype;
  if (typeof proto._parseAddressCommand !== 'function') return false;
  const original = proto._parseAddressCommand;
  proto._parseAddressCommand = function (this: ConnectionInternals, name: string, command: string) {
    const parsed = original.call(this, name, command);
    if (parsed || !this._server.options.bareSender || !this.session?.user || String(name).toLowerCase() !== 'mail from') return parsed;
    const m = BARE.exec(command);
    if (!m) return parsed;
    const again = original.call(this, name, `${m[1]}${m[2]}@bare.invalid${m[3]}`);
    if (again) again.address = m[2];
    return again;
  };
  installed = true;
  return true;
}
