// The /privacy page and the admin audit page (issue 4). Every statement comes
// from http/privacy-facts.ts, generated from the running config.
import { Layout } from './layout.js';
import type { PrivacySection } from '../privacy-facts.js';
import type { AuditEntry } from '../../store/audit.js';
import { formatTime } from '../pages/format.js';

export function PrivacyPage(props: { nonce: string; sections: PrivacySection[] }) {
  return (
    <Layout title="Privacy — Mailroom" nonce={props.nonce}>
      <h1>Privacy on this Mailroom</h1>
      <p class="muted">Generated from the settings this server is running with right now.</p>
      {props.sections.map((s) => (
        <section>
          <h2>{s.title}</h2>
          <ul>
            {s.items.map((i) => (
              <li>{i}</li>
            ))}
          </ul>
        </section>
      ))}
    </Layout>
  );
}

function Csrf(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}

/** Data rights for one address, on the account page: export (GET) and delete everything (POST with CSRF). */
export function AddressDataRights(props: { address: string; csrf: string }) {
  const a = encodeURIComponent(props.address);
  return (
    <p class="actions">
      <a href={`/account/data/address/${a}/export`}>Download all its mail (mbox + manifest)</a>{' '}
      <form method="post" action={`/account/data/address/${a}/delete`} class="inline">
        <Csrf token={props.csrf} />
        <label>
          <input type="checkbox" name="confirm" value="yes" required /> I understand
        </label>{' '}
        <button type="submit">Delete all its mail, starred too</button>
      </form>
    </p>
  );
}

export function AuditPage(props: { nonce: string; csrf: string; entries: AuditEntry[]; notice?: string; error?: string }) {
  return (
    <Layout title="Audit log — Mailroom" nonce={props.nonce}>
      <h1>Audit log</h1>
      {props.notice ? (
        <p class="notice info" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.error ? (
        <p class="notice bad" role="alert">
          {props.error}
        </p>
      ) : null}
      <h2>Export or delete everything held for an address or an account</h2>
      <form method="get" action="/account/data/export">
        <label>
          Address or user name <input type="text" name="subject" required />
        </label>{' '}
        <button type="submit">Export</button>
      </form>
      <form method="post" action="/account/data/delete">
        <Csrf token={props.csrf} />
        <label>
          Address or user name <input type="text" name="subject" required />
        </label>{' '}
        <label>
          <input type="checkbox" name="confirm" value="yes" required /> delete for good
        </label>{' '}
        <button type="submit">Delete everything</button>
      </form>
      <h2>Entries, newest first</h2>
      <table class="list">
        <thead>
          <tr>
            <th>When (UTC)</th>
            <th>Who</th>
            <th>Action</th>
            <th>Target</th>
            <th>From</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((e) => (
            <tr>
              <td class="time">{formatTime(e.at)}</td>
              <td>{e.actor}</td>
              <td>{e.action}</td>
              <td class="addr">{e.target}</td>
              <td>{e.ip || '-'}</td>
              <td>
                <code>{JSON.stringify(e.detail)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
