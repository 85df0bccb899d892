import { Layout, PublicWarning } from './layout.js';
import type { InboxNotice } from '../privacy-facts.js';

export interface HomeProps {
  nonce: string;
  domains: string[];
  smtpHost: string;
  smtpPort: number;
  /** Shown above the form when the typed address was not usable. */
  error?: string;
  address?: string;
  /** From http/privacy-facts.ts: who can read inboxes here. */
  notice?: InboxNotice;
}

export function HomePage(props: HomeProps) {
  const example = `someone@${props.domains[0] ?? 'example.test'}`;
  return (
    <Layout title="Mailroom" nonce={props.nonce} address={props.address}>
      <h1>Mailroom</h1>
      <p>
        This server receives email for the domains below and keeps it so you can read it here or through the
        Mailsac-compatible API under <code>/api</code>. Every address at these domains works: there is nothing to
        sign up for.
      </p>
      <h2>Domains</h2>
      <ul class="domains">
        {props.domains.map((d) => (
          <li class="addr">{d}</li>
        ))}
      </ul>
      <h2>Open an inbox</h2>
      {props.error ? (
        <p class="notice bad" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="get" action="/inbox" class="actions">
        <label for="home-address">Address</label>
        <input id="home-address" type="text" name="address" placeholder={example} value={props.address ?? ''} required />
        <button type="submit">Open inbox</button>
      </form>
      <PublicWarning notice={props.notice} />
      <h2>Send a test message</h2>
      <code class="cmd">{`swaks --server ${props.smtpHost}:${props.smtpPort} --to ${example}`}</code>
    </Layout>
  );
}
