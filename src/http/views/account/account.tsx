// "Your account": API keys (created, shown once, revoked) and private
// addresses (reserved, forwarding fields, released).
import { AddressDataRights } from '../privacy.js';
import type { User } from '../../../store/users.js';
import type { ApiKey } from '../../../store/api-keys.js';
import type { OwnedAddress } from '../../../store/addresses.js';
import { Layout } from '../layout.js';
import { FormOutcome } from '../parts.js';
import { BillingSection, type BillingProps } from './billing.js';
import { OwnDomains, type OwnDomainView } from './domains.js';

export interface AccountProps {
  nonce: string;
  csrf: string;
  user: User;
  keys: ApiKey[];
  addresses: Array<OwnedAddress & { messages: number }>;
  domains: string[];
  /** Domains this account added (issue 12), with their TXT values; the MX host to point them at. */
  ownDomains?: OwnDomainView[];
  mxHost?: string;
  apiBase: string;
  /** A key just created: shown this once. */
  newKey?: { name: string; key: string };
  /** Signs this account's webhooks (issue 11). */
  webhookSecret?: string;
  notice?: string;
  error?: string;
  /** The plan section; absent while billing is off (issue 15). */
  billing?: Omit<BillingProps, 'csrf'>;
}

const when = (ms: number | null) => (ms ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '—');

function Csrf(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}

export function AccountPage(props: AccountProps) {
  const { user } = props;
  return (
    <Layout title="Your account — Mailroom" nonce={props.nonce}>
      <h1>Your account</h1>
      <p>
        Signed in as <strong>{user.username}</strong> ({user.role}).{' '}
        <a href="/account/mail">Your mail</a> · <a href="/search">Search</a> · <a href="/api/docs">API reference</a>
      </p>
      <form method="post" action="/logout">
        <Csrf token={props.csrf} />
        <button type="submit">Sign out</button>
      </form>
      <form method="post" action="/account/sessions/revoke">
        <Csrf token={props.csrf} />
        <button type="submit">Sign out everywhere</button>
      </form>
      <FormOutcome notice={props.notice} error={props.error} />

      {props.billing ? <BillingSection csrf={props.csrf} {...props.billing} /> : null}

      <h2>API keys</h2>
      {props.newKey ? (
        <div class="notice info" role="status">
          <p>
            Your new key{props.newKey.name ? ` "${props.newKey.name}"` : ''} is below. It is shown <strong>only this once</strong>: copy it now.
          </p>
          <code class="cmd">{props.newKey.key}</code>
          <p>
            Try it: <code class="cmd">{`curl -H "Mailsac-Key: ${props.newKey.key}" ${props.apiBase}/me`}</code>
          </p>
        </div>
      ) : null}
      {props.keys.length ? (
        <table class="list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Starts with</th>
              <th>Created</th>
              <th>Last used</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {props.keys.map((k) => (
              <tr>
                <td>{k.name || '(unnamed)'}</td>
                <td>
                  <code>{k.hint}…</code>
                </td>
                <td>{when(k.created)}</td>
                <td>{when(k.lastUsed)}</td>
                <td>
                  {k.revoked ? (
                    `revoked ${when(k.revoked)}`
                  ) : (
                    <form method="post" action={`/account/keys/${k.id}/revoke`}>
                      <Csrf token={props.csrf} />
                      <button type="submit">Revoke</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No keys yet.</p>
      )}
      <form method="post" action="/account/keys">
        <Csrf token={props.csrf} />
        <label>
          New key name <input type="text" name="name" maxlength={100} placeholder="ci, laptop, …" />
        </label>{' '}
        <button type="submit">Create key</button>
      </form>
      <p class="muted">
        Send a key in the <code>Mailsac-Key</code> header to <code>{props.apiBase}</code>.
      </p>
      {props.webhookSecret ? (
        <p class="muted" id="webhook-secret">
          Webhook signing secret: <code>{props.webhookSecret}</code>. Each webhook carries{' '}
          <code>Mailroom-Signature: t=&lt;unix time&gt;,v1=&lt;hex HMAC-SHA256 of "t.body"&gt;</code>; see docs/push.md.
        </p>
      ) : null}

      <h2>Private addresses</h2>
      <p class="muted">Mail to a private address, past and future, is readable only by you and the operator's admins.</p>
      {props.addresses.length ? (
        props.addresses.map((a) => (
          <section class="card">
            <h3 class="addr">
              <a href={`/inbox/${encodeURIComponent(a.address)}`}>{a.address}</a>
            </h3>
            <p class="muted">
              {a.messages === 1 ? '1 message' : `${a.messages} messages`} · reserved {when(a.created)}
            </p>
            <form method="post" action={`/account/addresses/${encodeURIComponent(a.address)}`} class="stack">
              <Csrf token={props.csrf} />
              <label>
                Notes <input type="text" name="info" value={a.info} maxlength={1000} />
              </label>{' '}
              <label>
                Forward to <input type="email" name="forward" value={a.forward ?? ''} />
              </label>{' '}
              <label>
                Webhook <input type="url" name="webhook" value={a.webhook ?? ''} />
              </label>{' '}
              <label>
                Slack webhook <input type="url" name="webhookSlack" value={a.webhookSlack ?? ''} />
              </label>{' '}
              <label>
                <input type="checkbox" name="enablews" value="true" checked={a.enablews} /> Web socket
              </label>{' '}
              <button type="submit">Save</button>
            </form>
            <AddressDataRights address={a.address} csrf={props.csrf} />
            <form method="post" action={`/account/addresses/${encodeURIComponent(a.address)}/release`}>
              <Csrf token={props.csrf} />
              <label>
                <input type="checkbox" name="deleteMessages" value="true" /> also delete its messages
              </label>{' '}
              <button type="submit">Release (make public)</button>
            </form>
          </section>
        ))
      ) : (
        <p class="muted">You have no private addresses.</p>
      )}
      <form method="post" action="/account/addresses">
        <Csrf token={props.csrf} />
        <label>
          Reserve <input type="text" name="address" required placeholder={`name@${props.domains[0] ?? 'example.com'}`} />
        </label>{' '}
        <button type="submit">Make private</button>
      </form>
      <p class="muted">Domains: {props.domains.join(', ')}</p>
      <OwnDomains domains={props.ownDomains ?? []} csrf={props.csrf} mxHost={props.mxHost ?? ''} />
      <h2>Your data</h2>
      <p>
        <a href="/account/data/me/export">Download everything held for your account</a> (an mbox file per address and a manifest).{' '}
        {props.user.role === 'admin' ? <a href="/account/audit">Audit log, and data of any address or account</a> : null} <a href="/privacy">What Mailroom keeps</a>
      </p>
    </Layout>
  );
}
