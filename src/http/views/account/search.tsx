// Search over the inboxes this reader may see, and "your mail" with its
// starred flag, labels and folder editable.
import type { MessageView } from '../../../store/messages.js';
import { Layout } from '../layout.js';

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
const path = (inbox: string, id?: string) => `/inbox/${encodeURIComponent(inbox)}${id ? `/${encodeURIComponent(id)}` : ''}`;
const sender = (m: MessageView) => m.from[0]?.name || m.from[0]?.address || m.mailFrom || '(unknown sender)';

export interface SearchProps {
  nonce: string;
  query: string;
  inbox: string;
  signedIn: boolean;
  results: MessageView[] | null;
  error?: string;
}

export function SearchPage(props: SearchProps) {
  return (
    <Layout title={props.query ? `Search: ${props.query} — Mailroom` : 'Search — Mailroom'} nonce={props.nonce}>
      <h1>Search</h1>
      <form method="get" action="/search" role="search">
        <input type="search" name="q" value={props.query} aria-label="Words to find" placeholder="words, an address, a subject" />{' '}
        <input type="text" name="inbox" value={props.inbox} aria-label="Inbox to search" placeholder={props.signedIn ? 'all your addresses' : 'name@domain'} />{' '}
        <button type="submit">Search</button>
      </form>
      <p class="muted">
        {props.signedIn
          ? 'Searches your private addresses (all mail for admins), or one inbox you may read.'
          : 'Searches one inbox. Sign in to search all your private addresses.'}{' '}
        A word ending in * matches as a prefix.
      </p>
      {props.error ? (
        <p class="notice" role="alert">
          {props.error}
        </p>
      ) : null}
      {props.results === null ? null : props.results.length === 0 ? (
        <p>Nothing found.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th>Received</th>
              <th>Inbox</th>
              <th>From</th>
              <th>Subject</th>
            </tr>
          </thead>
          <tbody>
            {props.results.map((m) => (
              <tr>
                <td>{when(m.received)}</td>
                <td class="addr">{m.inbox}</td>
                <td>{sender(m)}</td>
                <td>
                  <a href={path(m.inbox, m.id)}>{m.subject || '(no subject)'}</a>
                  {m.starred ? ' ★' : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

export interface MailProps {
  nonce: string;
  csrf: string;
  messages: MessageView[];
  folder: string;
  starredOnly: boolean;
}

const FOLDERS = ['inbox', 'all', 'spam', 'trash'];

export function MailPage(props: MailProps) {
  return (
    <Layout title="Your mail — Mailroom" nonce={props.nonce}>
      <h1>Your mail</h1>
      <p>
        <a href="/account/mail">All</a> · <a href="/account/mail?starred=1">Starred</a> ·{' '}
        {FOLDERS.map((f) => (
          <>
            <a href={`/account/mail?folder=${f}`}>{f}</a>{' '}
          </>
        ))}
        · <a href="/account">Account</a>
      </p>
      {props.messages.length === 0 ? (
        <p class="muted">No messages here.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th>Received</th>
              <th>Subject</th>
              <th>Star</th>
              <th>Folder</th>
              <th>Labels</th>
            </tr>
          </thead>
          <tbody>
            {props.messages.map((m) => {
              const base = `/account/mail/${encodeURIComponent(m.inbox)}/${encodeURIComponent(m.id)}`;
              return (
                <tr>
                  <td>{when(m.received)}</td>
                  <td>
                    <span class="addr">{m.inbox}</span>
                    <br />
                    <a href={path(m.inbox, m.id)}>{m.subject || '(no subject)'}</a>
                  </td>
                  <td>
                    <form method="post" action={`${base}/star`}>
                      <input type="hidden" name="csrf" value={props.csrf} />
                      <button type="submit" aria-label={m.starred ? 'Unstar' : 'Star'}>
                        {m.starred ? '★' : '☆'}
                      </button>
                    </form>
                  </td>
                  <td>
                    <form method="post" action={`${base}/folder`}>
                      <input type="hidden" name="csrf" value={props.csrf} />
                      <select name="folder" aria-label="Folder">
                        {FOLDERS.map((f) => (
                          <option value={f} selected={m.folder === f}>
                            {f}
                          </option>
                        ))}
                      </select>{' '}
                      <button type="submit">Move</button>
                    </form>
                  </td>
                  <td>
                    {m.labels.map((l) => (
                      <form method="post" action={`${base}/labels/remove`} class="inline">
                        <input type="hidden" name="csrf" value={props.csrf} />
                        <input type="hidden" name="label" value={l} />
                        <span class="flag">{l}</span> <button type="submit" aria-label={`Remove label ${l}`}>×</button>
                      </form>
                    ))}
                    <form method="post" action={`${base}/labels`}>
                      <input type="hidden" name="csrf" value={props.csrf} />
                      <input type="text" name="label" maxlength={100} aria-label="New label" placeholder="label" />{' '}
                      <button type="submit">Add</button>
                    </form>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/** What a reader who may not read an inbox sees instead of it. */
export function PrivateInboxPage(props: { nonce: string; signedIn: boolean }) {
  return (
    <Layout title="Private inbox — Mailroom" nonce={props.nonce}>
      <h1>This inbox is private</h1>
      <p>Only its owner and the operator's admins can read it.</p>
      {props.signedIn ? null : (
        <p>
          <a href="/login">Sign in</a> if it is yours.
        </p>
      )}
    </Layout>
  );
}
