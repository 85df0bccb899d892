// The API's answer when a reservation or a new domain is over the account's
// plan (issue 15: "402/403 with the same words" as the account page).
//
// 402 Payment Required while billing is on: the refusal is one a payment
// lifts (a bigger plan on /account), which is what RFC 9110 §15.5.3 reserves
// 402 for. 403 while billing is off: nothing can be bought, so it is a plain
// refusal. (Mailsac documents 400 "Not enough enhanced address credits" for
// its bulk reserve and no code for the single one; Mailroom keeps Mailsac's
// error body and fills Mailsac's credit fields so a client can tell why.)
import type { Context } from 'hono';
import type { AppEnv, HttpDeps } from '../deps.js';
import type { EngineStore } from '../../store/engine-store.js';
import { DOMAIN_UPGRADE_HINT, UPGRADE_HINT } from '../../services/billing.js';
import { apiError } from './errors.js';

export type PlanLimit = 'addresses' | 'domains';

export async function planLimitError(c: Context<AppEnv>, deps: Pick<HttpDeps, 'services'> & { store: EngineStore }, userId: number, what: PlanLimit, prefix = ''): Promise<Response> {
  const billing = deps.services.billing;
  const user = await deps.store.data.users.byId(userId);
  const e = user ? await billing.entitlements(user) : null;
  const status = billing.enabled ? 402 : 403;
  if (what === 'addresses') {
    return apiError(c, status, prefix + UPGRADE_HINT, {
      privateAddressCredits: user ? ((await billing.addressCredits(user)) ?? 0) : 0,
      ...(e?.privateAddresses != null ? { privateAddresses: e.privateAddresses } : {}),
    });
  }
  return apiError(c, status, prefix + DOMAIN_UPGRADE_HINT, {
    privateDomain: user ? ((await billing.domainCredits(user)) ?? 0) : 0,
    ...(e?.customDomains != null ? { customDomains: e.customDomains } : {}),
  });
}
