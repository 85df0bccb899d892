// Mailsac operations Mailroom does not serve: listed in the description, answered 501.
// (Sending: POST /outgoing-messages delivers to this Mailroom's own domains, outgoing.ts.)
import type { Context } from 'hono';
import type { AppEnv } from '../deps.js';
import type { Method } from './registry.js';
import type { ApiKit } from './kit.js';
import { apiError } from './errors.js';

type C = Context<AppEnv>;

export function registerNotServedRoutes(kit: ApiKit): void {
  const { reg } = kit;
  const notHere = (what: string) => (c: C) => apiError(c, 501, `${what} is not part of Mailroom`);
  const unsupported: Array<[Method, string, string, string]> = [
    ['get', '/validations/addresses/:email', 'ValidateAddress', 'Email validation'],
    ['post', '/validations/addresses', 'ValidateAddressesBulk', 'Email validation'],
    ['get', '/mailstats/common-attachments', 'ListPublicAttachments', 'Mail statistics'],
    ['get', '/mailstats/common-attachments/:md5sum', 'ListMessagesForAttachment', 'Mail statistics'],
    ['get', '/mailstats/common-attachments/:md5sum/count', 'CountPublicAttachments', 'Mail statistics'],
    ['get', '/mailstats/common-attachments/:md5sum/download', 'DownloadPublicAttachment', 'Mail statistics'],
    ['get', '/mailstats/top-addresses', 'ListTopPublicAddresses', 'Mail statistics'],
    ['get', '/mailstats/top-senders', 'ListTopPublicSenders', 'Mail statistics'],
    ['get', '/mailstats/top-domains', 'ListTopPublicDomains', 'Mail statistics'],
    ['get', '/mailstats/blacklist', 'Denylist', 'Mail statistics'],
    ['get', '/mailstats/blacklist/:domainOrIP', 'CheckDenylist', 'Mail statistics'],
  ];
  for (const [method, path, operationId, what] of unsupported) {
    reg.route(method, path, { operationId, summary: `${what}: not served by Mailroom (501)`, tags: ['Not served'], auth: 'none', responses: { 501: 'Not implemented' } }, notHere(what));
  }
}
