// Email Capture (issue 12, Mailsac's capture.mailsac.com): an authenticated
// SMTP port an application under test sends through. It takes every
// recipient domain (mycustomer@gmail.com) and never relays: each message is
// stored under its recipient, readable by the account that sent it (and
// admins) only, never forwarded. Logins are API keys (user: the account name
// or an address it owns), only over TLS unless capture.allowPlainAuth says
// the network is trusted; failures are throttled per client and per account
// with the web login's rules (LoginThrottle) and every login is audited.
import type { SMTPServerAuthentication, SMTPServerSession } from 'smtp-server';
import type { EngineStore } from '../store/engine-store.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { AccountService } from '../services/accounts.js';
import { canonicalAddress, isReservedInbox } from '../policy/address.js';
import { LoginThrottle } from '../http/middleware/rate-limit.js';
import type { ListenerRole, RecipientVerdict } from './listener-role.js';
import { SmtpError } from './smtp-error.js';
import { installBareSender } from './bare-sender.js';
import { nextCaptureMonth } from '../store/capture-usage.js';

/** What smtp-server keeps as session.user once AUTH succeeded. */
export interface CaptureUser {
  id: number;
  username: string;
}

export interface CaptureRoleDeps {
  config: Config;
  store: EngineStore;
  accounts: Pick<AccountService, 'userForKey'>;
  log: Logger;
  /** Shared with the web login so a guesser gets no fresh budget by switching doors; a new one when absent. */
  throttle?: LoginThrottle;
  now?: () => number;
  /**
   * Messages the account may capture per calendar month (UTC); null: no
   * limit (billing off, or an admin). Billing gives its plan's
   * captureMessagesPerMonth (issue 15), where 0 means the plan has no capture.
   */
  monthlyAllowance?: (userId: number) => Promise<number | null>;
}

const HOUR = 3_600_000;

/** Messages each account sent in the last hour, as a sliding window of timestamps. */
class HourlyCounter {
  private readonly sent = new Map<number, number[]>();
  constructor(private readonly now: () => number) {}
  count(userId: number): number {
    const cutoff = this.now() - HOUR;
    const list = (this.sent.get(userId) ?? []).filter((t) => t > cutoff);
    if (list.length) this.sent.set(userId, list);
    else this.sent.delete(userId);
    return list.length;
  }
  add(userId: number): void {
    const list = this.sent.get(userId) ?? [];
    list.push(this.now());
    this.sent.set(userId, list);
  }
}

export function captureUser(session: SMTPServerSession): CaptureUser | null {
  const u = session.user as unknown;
  return u && typeof u === 'object' && typeof (u as CaptureUser).id === 'number' ? (u as CaptureUser) : null;
}

/**
 * The refusal past the monthly allowance. 550 5.7.1, not 452 4.2.2: RFC 3463
 * X.2.2 is "mailbox full", a quota of the recipient's mailbox, and no
 * recipient's mailbox is full here; it is the sending account's plan that
 * does not allow more, a policy refusal of this sender ("delivery not
 * authorized", X.7.1). Permanent (5yz, RFC 5321 §4.2.1): retrying does not
 * help within any client's retry horizon, the allowance comes back only
 * with the next month or a bigger plan, so the client should report it
 * rather than queue it for days.
 */
function overAllowance(allowance: number, at: number): SmtpError {
  if (allowance === 0) return new SmtpError(550, '5.7.1 Your plan includes no Email Capture: subscribe to a plan that does on your account page (/account)');
  const renews = new Date(nextCaptureMonth(at)).toISOString().slice(0, 10);
  return new SmtpError(550, `5.7.1 Monthly capture limit reached: your plan allows ${allowance} captured messages a month (renews ${renews} UTC); upgrade your plan on your account page (/account)`);
}

export function captureRole(deps: CaptureRoleDeps): ListenerRole {
  const { config, store, accounts, log } = deps;
  const capture = config.capture;
  const now = deps.now ?? Date.now;
  const throttle = deps.throttle ?? new LoginThrottle();
  const hourly = new HourlyCounter(now);
  const keepIp = config.privacy.storeSenderIp;

  const auditLogin = (session: SMTPServerSession, actor: string, actorId: number | null, ok: boolean, reason = '') =>
    store.data.audit.record({
      actorId,
      actor,
      action: 'login',
      target: actor,
      detail: { via: 'smtp-capture', ok, ...(reason ? { reason } : {}), tls: Boolean(session.secure) },
      ip: keepIp ? session.remoteAddress : '',
    });

  return {
    name: 'capture',
    serverOptions: () => ({
      authOptional: false,
      authMethods: ['PLAIN', 'LOGIN'],
      // smtp-server answers AUTH before STARTTLS with 538 unless this is set (RFC 4954 §4: PLAIN needs TLS).
      allowInsecureAuth: capture.allowPlainAuth,
      authRequiredMessage: '5.7.0 Authentication required: log in with your account name and an API key',
      secure: capture.implicitTls,
      // Read by bare-sender.ts: MAIL FROM:<username> after AUTH, as Mailsac's examples send it.
      ...({ bareSender: installBareSender() } as object),
    }),
    async onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession) {
      const login = String(auth.username ?? '').slice(0, 320);
      const attempt = { account: login.toLowerCase(), client: session.remoteAddress || 'unknown' };
      const wait = await throttle.retryAfterSeconds(attempt);
      if (wait > 0) {
        await auditLogin(session, login, null, false, 'throttled');
        // RFC 4954 §6: 454 4.7.0 is the temporary authentication failure.
        throw new SmtpError(454, `4.7.0 Too many failed logins, try again in ${wait} s`);
      }
      const user = await accounts.userForKey(login, String(auth.password ?? ''));
      if (!user) {
        await throttle.failed(attempt);
        await auditLogin(session, login, null, false, 'bad-credentials');
        log.info({ session: session.id }, 'capture login refused');
        throw new SmtpError(535, '5.7.8 Authentication credentials invalid');
      }
      await throttle.succeeded(attempt);
      await auditLogin(session, user.username, user.id, true);
      return { id: user.id, username: user.username } satisfies CaptureUser;
    },
    async mailFrom(session, declared) {
      const user = captureUser(session);
      if (!user) return new SmtpError(530, '5.7.0 Authentication required');
      if (capture.messagesPerHour > 0 && hourly.count(user.id) >= capture.messagesPerHour) {
        return new SmtpError(450, `4.7.1 Rate limit: ${capture.messagesPerHour} messages per hour for this account, try again later`);
      }
      if (capture.maxStoredMessages > 0 && (await store.reader.capturedCount(user.id)) >= capture.maxStoredMessages) {
        return new SmtpError(452, `4.2.2 Storage limit: this account keeps at most ${capture.maxStoredMessages} captured messages; delete some first`);
      }
      const allowance = (await deps.monthlyAllowance?.(user.id)) ?? null;
      if (allowance !== null && (await store.data.captureUsage.used(user.id, now())) >= allowance) return overAllowance(allowance, now());
      void declared;
      return null;
    },
    async recipient(rcpt, session): Promise<RecipientVerdict> {
      const a = canonicalAddress(rcpt);
      if (!a) return { ok: false, error: new SmtpError(553, '5.1.3 Recipient address syntax not accepted here') };
      // Each recipient is a stored message (one copy per inbox), so each counts
      // against the month: the ones already accepted in this transaction too.
      const user = captureUser(session);
      const allowance = user ? ((await deps.monthlyAllowance?.(user.id)) ?? null) : null;
      if (user && allowance !== null && (await store.data.captureUsage.used(user.id, now())) + session.envelope.rcptTo.length >= allowance) {
        return { ok: false, error: overAllowance(allowance, now()) };
      }
      // postmaster@, abuse@ of our own domains stay the operator's (RFC 2142), on this port too.
      if (config.domains.includes(a.domain) && isReservedInbox(config, a.inbox)) {
        return { ok: false, error: new SmtpError(550, '5.1.1 Mailbox unavailable') };
      }
      return { ok: true, recipient: { inbox: a.inbox, original: a.original, domain: a.domain } };
    },
    maxMessageSize: () => (capture.maxMessageSize > 0 ? Math.min(capture.maxMessageSize, config.smtp.maxMessageSize) : config.smtp.maxMessageSize),
    stamp: (session) => ({ capturedBy: captureUser(session)?.id ?? null }),
    async stored(session, _bytes, copies) {
      const user = captureUser(session);
      if (!user) return;
      hourly.add(user.id);
      // Counted once stored, one per recipient copy; only while an allowance applies.
      if ((await deps.monthlyAllowance?.(user.id)) != null) await store.data.captureUsage.add(user.id, now(), copies);
    },
    authenticated: (session) => captureUser(session) !== null,
  };
}
