// domain list [<user>] | domain add <domain> --user <name> | domain verify <domain> | domain remove <domain>
//
// The operator's view of accounts' own domains (issue 12), through the same
// DomainService the API and the account page use, so the rules (config
// domains stay the operator's, one owner per domain, TXT gates acceptance,
// MX only informs) exist once.
import { canonicalDomain } from '../../policy/address.js';
import { DomainService, type DomainRefusal } from '../../services/domains.js';
import type { AccountDomain } from '../../store/account-domains.js';
import { date, table } from '../output.js';
import { stringOpt, userArg, UsageError, type Command, type CommandContext } from '../args.js';

const REFUSAL: Record<DomainRefusal, (d: string, ctx: CommandContext) => string> = {
  invalid: (d) => `${d} is not a domain name`,
  'operator-domain': (d, ctx) => `${d} is one of the configured domains (${ctx.config.domains.join(', ')}) or under one: it stays the operator's`,
  taken: (d, ctx) => `${d} was already added by ${ctx.store.domains.get(d)?.ownerName ?? 'another account'}`,
  'already-yours': (d) => `${d} was already added by this account`,
  'not-yours': (d) => `${d} is not an account's domain`,
  unknown: (d) => `${d} is not an account's domain (domain list shows them)`,
  'too-many': () => 'this account has too many domains',
  'over-plan': (d) => `${d} not added: the account's plan allows no more custom domains (billing.plans customDomains, billing.free)`,
};

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** The push settings that are on, in few words. */
function pushSummary(d: AccountDomain): string {
  const on = [d.webhook ? 'webhook' : '', d.webhookSlack ? 'slack' : '', d.enablews ? 'websocket' : '', d.forward ? `forward:${d.forward}` : ''].filter(Boolean);
  return on.length ? on.join(',') : '-';
}

/** The account domain an argument names (admins act on any), or a failure. */
function domainArg(ctx: CommandContext, usage: string): AccountDomain {
  const given = ctx.args[0];
  if (!given) throw new UsageError(usage);
  const name = canonicalDomain(given) ?? given;
  // The CLI acts as the operator: ownership is not asked (admin = true).
  const r = ctx.services.domains.owned(0, true, name);
  if (!r.ok) throw new Error(REFUSAL[r.reason](name, ctx));
  return r.value;
}

export const domainList: Command = async (ctx) => {
  const { store } = ctx;
  const only = ctx.args[0] ? userArg(ctx, ctx.args[0]) : null;
  const list = only ? store.domains.listForOwner(only.id) : store.domains.list();
  const rows = [['DOMAIN', 'OWNER', 'VERIFIED', 'MX', 'PRIVATE', 'CATCH-ALL', 'PUSH', 'CREATED']];
  for (const d of list) {
    rows.push([d.domain, d.ownerName, d.verified ? date(d.verified) : 'no', yesNo(d.verifiedMx), yesNo(d.isPrivate), yesNo(d.catchAll), pushSummary(d), date(d.created)]);
  }
  ctx.io.out(list.length ? table(rows) : 'no account domains');
  return 0;
};

export const domainAdd: Command = async (ctx) => {
  const usage = 'domain add <domain> --user <name>';
  const given = ctx.args[0];
  if (!given) throw new UsageError(usage);
  const owner = stringOpt(ctx.opts, 'user');
  if (owner === undefined) throw new UsageError('--user <name> is required');
  const u = userArg(ctx, owner);
  const r = await ctx.services.domains.add(u.id, given);
  if (!r.ok) throw new Error(REFUSAL[r.reason](canonicalDomain(given) ?? given, ctx));
  const d = r.value;
  const mx = ctx.services.domains.mxHosts()[0] ?? "this Mailroom's host name (set smtp.hostname)";
  ctx.io.out(`${d.domain} added for ${u.username}; publish these records, then run: mailroom domain verify ${d.domain}`);
  ctx.io.out(table([['TYPE', 'NAME', 'VALUE'], ['TXT', d.domain, DomainService.txtValue(d)], ['MX', d.domain, `10 ${mx}`]]));
  return 0;
};

export const domainVerify: Command = async (ctx) => {
  const d = await ctx.services.domains.verify(domainArg(ctx, 'domain verify <domain>'));
  const mx = d.verifiedMx ? 'MX points here' : 'MX does not point here';
  if (d.verified !== null) {
    ctx.io.out(`${d.domain} is verified (${mx}); its mail is accepted`);
    if (d.lastError) ctx.io.err(d.lastError);
    return 0;
  }
  ctx.io.out(`${d.domain} is not verified (${mx}); its mail is refused`);
  ctx.io.err(d.lastError);
  return 1;
};

export const domainRemove: Command = async (ctx) => {
  const d = domainArg(ctx, 'domain remove <domain>');
  ctx.services.domains.remove(d);
  ctx.io.out(`${d.domain} removed from ${d.ownerName}; its mail is no longer accepted (stored mail stays)`);
  return 0;
};
