// What Mailroom stores, for how long, and who can read it, stated from the
// running config (issue 4). The /privacy page and the inbox notices on the
// home, inbox and message pages all come from here, so what the pages promise
// is what the process does.
import type { Config } from '../config.js';
import { SCRUB_MAX_WAIT_MS } from '../store/scrub.js';

/** A sentence with addresses kept apart, so views can mark them up (and escape them). */
export type Part = string | { addr: string };

export interface InboxNotice {
  tone: 'public' | 'private';
  title: string;
  parts: Part[];
}

export type InboxKind = 'public' | 'owned' | 'reserved';

const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;

export function hours(h: number): string {
  if (h % 24 === 0) return `${plural(h / 24, 'day')} (${h} hours)`;
  return plural(h, 'hour');
}

/** How long public mail lives, as a sentence; '' when kept until deleted. */
export function publicRetention(config: Config): string {
  const r = config.retention.public;
  const parts: string[] = [];
  if (r.maxAgeHours > 0) parts.push(`deleted ${hours(r.maxAgeHours)} after it arrives`);
  if (r.maxMessagesPerInbox > 0) parts.push(`at most the newest ${plural(r.maxMessagesPerInbox, 'message')} per inbox are kept`);
  return parts.length ? `Mail here is ${parts.join(', and ')} (starred messages excepted).` : '';
}

/** The notice for an inbox page (or, without an inbox, the home page). */
export function inboxNotice(config: Config, inbox?: string, kind: InboxKind = 'public'): InboxNotice {
  const who: Part[] = inbox ? [{ addr: inbox }] : ['an address'];
  const keep = publicRetention(config);
  if (kind === 'owned') {
    return {
      tone: 'private',
      title: 'Private inbox.',
      parts: ['Only the account that owns ', ...who, ' and the administrators of this Mailroom can read it; every administrator read is recorded in the audit log.'],
    };
  }
  if (kind === 'reserved') {
    return { tone: 'private', title: 'Restricted inbox.', parts: ['Only administrators can read mail sent to ', ...who, '; their reads are recorded in the audit log.'] };
  }
  const { publicInboxes, unownedHandling } = config.privacy;
  if (publicInboxes) {
    return {
      tone: 'public',
      title: 'Public inbox.',
      parts: inbox
        ? ['Anyone who knows ', { addr: inbox }, ` can read every message sent to it. Don't use it for anything private.${keep ? ' ' + keep : ''}`]
        : [`Inboxes nobody owns are public: anyone who knows an address can read every message sent to it. Don't use it for anything private.${keep ? ' ' + keep : ''}`],
    };
  }
  if (unownedHandling === 'signed-in') {
    return { tone: 'public', title: 'Shared inbox.', parts: ['Every signed-in user of this Mailroom can read mail sent to ', ...(inbox ? who : ['addresses nobody owns']), `.${keep ? ' ' + keep : ''}`] };
  }
  return {
    tone: 'private',
    title: 'Not a public inbox.',
    parts:
      unownedHandling === 'reject'
        ? ['This Mailroom refuses mail for addresses nobody owns; only administrators can read what is left of it.']
        : ['Only administrators can read mail sent to ', ...(inbox ? who : ['addresses nobody owns']), '.'],
  };
}

export interface PrivacySection {
  title: string;
  items: string[];
}

/** The statements of the /privacy page, each generated from a setting. */
export function privacyFacts(config: Config, cookieNames: { session: string; csrf: string }): PrivacySection[] {
  const p = config.privacy;
  const r = config.retention;
  const pub = publicRetention(config);
  const readers = inboxNotice(config).parts.filter((x): x is string => typeof x === 'string').join('');
  return [
    {
      title: 'What Mailroom stores',
      items: [
        'Every message sent to its domains (' + config.domains.join(', ') + '), exactly as received, with what was read out of it (subject, addresses, text, attachments) and a search index of its words.',
        'The envelope: the sender and recipients the sending server gave, when the message arrived, and whether the connection was encrypted.',
        p.storeSenderIp
          ? "The sending server's IP address and the name it introduced itself with (HELO); the API shows the IP address with each message."
          : "Not the sending server's IP address or HELO name: storing them is turned off (privacy.storeSenderIp).",
        'For accounts: the user name, an email address if one was given, the role, a password hash (scrypt), API keys as hashes only, the private addresses reserved and their settings, the domains it added (with their verification token and push settings), and when the account last signed in.',
        `An audit log: every administrator read of a private inbox or message, every export and deletion of data, every API key created and every role change, with who, what and when${p.storeSenderIp ? ', and the IP address it came from' : ' (no IP addresses: privacy.storeSenderIp is off)'}. Sign-ins are recorded the same way.`,
        config.log.content
          ? 'Logs may contain subjects and addresses (log.content is on).'
          : 'Logs hold message ids and counts, never subjects, addresses or bodies (log.content is off).',
      ],
    },
    {
      title: 'For how long',
      items: [
        pub ? `Mail to addresses nobody owns: ${pub.replace(/^Mail here is /, 'it is ')}` : 'Mail to addresses nobody owns is kept until someone deletes it.',
        r.private.maxAgeHours > 0 ? `Mail to private addresses is deleted ${hours(r.private.maxAgeHours)} after it arrives (starred messages excepted).` : 'Mail to private addresses is kept until its owner deletes it.',
        r.private.maxMessagesPerAccount > 0
          ? `Each account keeps at most ${plural(r.private.maxMessagesPerAccount, 'message')} across its private addresses; past that the oldest unstarred ones are deleted.`
          : 'Accounts have no message quota.',
        config.storage.maxDatabaseBytes > 0
          ? `When the store is ${Math.round(r.diskHighWater * 100)}% full, the oldest public mail is deleted first.`
          : 'There is no overall storage budget beyond the disk.',
        p.auditLogDays > 0 ? `Audit log entries: ${plural(p.auditLogDays, 'day')}.` : 'Audit log entries are kept indefinitely.',
        p.loginRecordDays > 0 ? `Sign-in records: ${plural(p.loginRecordDays, 'day')}; web sessions end after ${plural(config.auth.sessionHours, 'hour')} without use.` : `Sign-in records are kept indefinitely; web sessions end after ${plural(config.auth.sessionHours, 'hour')} without use.`,
        // The scrub after every delete (store/scrub.ts, issue 13 item 8); its deadline is the code's, so the sentence follows it.
        `Deleted mail is gone within a minute, whichever way it was deleted (one message, an inbox, a released address, retention, an account, a domain): its pages are overwritten with zeros in the database file (secure delete), its words are removed from the search index, and the write-ahead journal that still held it is folded into the file and truncated. This runs a few seconds after a deletion, at most ${Math.round(SCRUB_MAX_WAIT_MS / 1000)} seconds after it, and again every second while a reader still holds the journal. Mailroom itself keeps no backup.`,
        `Deletion runs on the schedule "${r.schedule}" (${r.timezone}).`,
      ],
    },
    {
      title: 'Who can read what',
      items: [
        readers,
        'A private address (reserved by an account) is readable only by that account and by administrators; administrators\' reads are recorded in the audit log.',
        `Mail to ${p.reservedLocalParts.map((l) => l + '@').join(', ')} addresses ${p.reservedHandling === 'reject' ? 'is refused' : 'is readable by administrators only'}: certificate authorities accept those addresses as proof of owning a domain.`,
        'Mailroom sends nothing anywhere: no mail out, no fetching of what a message links to or embeds, unless the operator configures a webhook.',
      ],
    },
    ...(config.billing.stripe.secretKey
      ? [
          {
            // Issue 15: the operator sells plans through Stripe.
            title: 'Payments',
            items: [
              'Payments are processed by Stripe (https://stripe.com), the payment processor of this Mailroom. Card and payment details are entered on Stripe\'s pages and held by Stripe, under its own privacy policy; they never reach this server.',
              'Mailroom stores, for an account that buys a plan: its Stripe customer id, its subscription ids, the plan (price) and the subscription status and dates, and the ids of the payment notifications Stripe sent. Never card numbers or bank details.',
              'Mailroom tells Stripe the account\'s user name and id, and its email address if one was given, when the account first opens a checkout.',
              `When a subscription ends and its grace period of ${plural(config.billing.gracePeriodDays, 'day')} is over, private addresses beyond the free plan are released, the oldest first: ${config.privacy.releaseDeletesMail ? 'their mail is deleted' : 'they become public with their mail'}.`,
              'Your account export includes these billing records; deleting your account cancels its subscriptions at Stripe first and then deletes them here.',
            ],
          },
        ]
      : []),
    {
      title: 'Cookies, analytics, third parties',
      items: [
        'No analytics, no advertising, no third-party scripts, fonts or images: every page comes from this server alone.',
        `Signing in sets one cookie, ${cookieNames.session}, which keeps you signed in and nothing else, and ${cookieNames.session.replace('mr_session', 'mr_device')}, which lets this browser sign in to the same account again even while others are guessing its password (a signed random device id and account number, kept 180 days; issue 13).`,
        `Pages with a form (delete, sign in, account settings) also set ${cookieNames.csrf}, a random value that proves a form was sent from this site (cross-site request forgery protection). It ends when the browser closes and identifies nobody. No other cookie is ever set.`,
      ],
    },
    {
      title: 'Your data: export and deletion',
      items: [
        'Owners can download everything held for their addresses or their account (an mbox file per address and a manifest of metadata, labels and audit entries), and delete it, from their account page or the API (GET /api/addresses/{email}/export, DELETE /api/addresses/{email}/data, GET /api/users/{name}/export, DELETE /api/users/{name}/data).',
        `For anything else, including mail at a public address, ask ${p.contact ? p.contact : 'the operator of this Mailroom'}; an administrator can export or delete everything held for any address or account.`,
      ],
    },
  ];
}
