// The MX listener's role: no logins, no relaying; only the configured
// domains are taken (recipient-policy.ts), and with privacy.publicInboxes off
// and unownedHandling "reject" only addresses an account owns.
import type { Config } from '../config.js';
import type { ListenerRole, RecipientVerdict } from './listener-role.js';
import { decideRecipient } from './recipient-policy.js';
import { SmtpError } from './smtp-error.js';

/** acceptsDomain: a domain an account added and verified (issue 12), taken like a config domain. */
export function mxRole(
  config: Config,
  isOwned?: (inbox: string) => boolean | Promise<boolean>,
  acceptsDomain?: (domain: string) => boolean | Promise<boolean>,
): ListenerRole {
  return {
    name: 'mx',
    serverOptions: () => ({
      // Mailroom receives here; it accepts no logins and relays nothing (no AUTH on port 25).
      authOptional: true,
      disabledCommands: ['AUTH'],
    }),
    async recipient(rcpt): Promise<RecipientVerdict> {
      const decision = await decideRecipient(
        { domains: config.domains, reservedLocalParts: config.privacy.reservedLocalParts, reservedHandling: config.privacy.reservedHandling, acceptsDomain },
        rcpt,
      );
      if (!decision.ok) return { ok: false, error: new SmtpError(decision.code, decision.message) };
      const { privacy } = config;
      if (!privacy.publicInboxes && privacy.unownedHandling === 'reject' && !decision.reserved && !((await isOwned?.(decision.address.inbox)) ?? false)) {
        return { ok: false, error: new SmtpError(550, '5.1.1 Mailbox unavailable') };
      }
      const a = decision.address;
      return { ok: true, recipient: { inbox: a.inbox, original: a.original, domain: a.domain } };
    },
    maxMessageSize: () => config.smtp.maxMessageSize,
    authenticated: () => false,
  };
}
