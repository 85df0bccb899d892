// "Your domains" on the account page (issue 12): add a domain, see the MX and
// TXT records to publish, check DNS, make it public or private, set its push
// settings (issue 11: forward, webhook, Slack, web socket), remove it.
import type { AccountDomain } from '../../../store/account-domains.js';

export interface OwnDomainView extends AccountDomain {
  txt: string;
}

function Csrf(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}

export function OwnDomains(props: { domains: OwnDomainView[]; csrf: string; mxHost: string }) {
  return (
    <>
      <h2>Your domains</h2>
      <p class="muted">
        Receive mail for a domain of your own: add it, publish the two DNS records shown, then check. A verified domain is yours, and private by
        default: every address under it is readable only by you and the operator's admins.
      </p>
      {props.domains.map((d) => {
        const path = `/account/domains/${encodeURIComponent(d.domain)}`;
        return (
          <section class="card">
            <h3 class="addr">{d.domain}</h3>
            <p>
              {d.verified ? <strong>Verified</strong> : <strong>Not verified yet</strong>} · {d.isPrivate ? 'private' : 'public'} ·{' '}
              {d.verifiedMx ? 'MX points here' : 'MX not seen pointing here'}
              {d.lastError ? <span class="muted"> · last check: {d.lastError}</span> : null}
            </p>
            <table class="list">
              <thead>
                <tr>
                  <th>Type</th>
                  <th>Name</th>
                  <th>Value</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td>MX</td>
                  <td>
                    <code>{d.domain}</code>
                  </td>
                  <td>
                    <code>10 {props.mxHost}</code>
                  </td>
                </tr>
                <tr>
                  <td>TXT</td>
                  <td>
                    <code>{d.domain}</code>
                  </td>
                  <td>
                    <code>{d.txt}</code>
                  </td>
                </tr>
              </tbody>
            </table>
            <form method="post" action={`${path}/verify`}>
              <Csrf token={props.csrf} />
              <button type="submit">Check DNS now</button>
            </form>
            <form method="post" action={`${path}/settings`} class="stack">
              <Csrf token={props.csrf} />
              <span class="muted">For every message to the domain, besides each address's own settings:</span>{' '}
              <label>
                Forward to <input type="email" name="forward" value={d.forward ?? ''} />
              </label>{' '}
              <label>
                Webhook <input type="url" name="webhook" value={d.webhook ?? ''} />
              </label>{' '}
              <label>
                Slack webhook <input type="url" name="webhookSlack" value={d.webhookSlack ?? ''} />
              </label>{' '}
              <label>
                <input type="checkbox" name="webhookSlackToFrom" value="true" checked={d.webhookSlackToFrom} /> To and From in Slack
              </label>{' '}
              <label>
                <input type="checkbox" name="enablews" value="true" checked={d.enablews} /> Web socket
              </label>{' '}
              <button type="submit">Save</button>
            </form>
            <form method="post" action={`${path}/privacy`}>
              <Csrf token={props.csrf} />
              <input type="hidden" name="private" value={d.isPrivate ? 'false' : 'true'} />
              <button type="submit">{d.isPrivate ? 'Make public' : 'Make private'}</button>
            </form>
            <form method="post" action={`${path}/remove`}>
              <Csrf token={props.csrf} />
              <button type="submit">Remove</button>
            </form>
          </section>
        );
      })}
      <form method="post" action="/account/domains">
        <Csrf token={props.csrf} />
        <label>
          Add a domain <input type="text" name="domain" required placeholder="mail.example.com" maxlength={253} />
        </label>{' '}
        <button type="submit">Add</button>
      </form>
    </>
  );
}
