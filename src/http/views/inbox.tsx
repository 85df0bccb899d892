import type { MessageView } from '../../store/messages.js';
import { Layout, PublicWarning } from './layout.js';
import type { InboxNotice } from '../privacy-facts.js';
import { Sender } from './parts.js';
import { clip, formatSize, formatTime, isoTime } from '../pages/format.js';
import { inboxPath, messagePath } from '../pages/paths.js';

export interface InboxProps {
  nonce: string;
  inbox: string;
  messages: MessageView[];
  total: number;
  /** Link to the next (older) page, if there is one. */
  olderHref?: string;
  /** True when this is not the first page. */
  paged: boolean;
  smtpHost: string;
  smtpPort: number;
  notice?: string;
  /** From http/privacy-facts.ts: who can read this inbox. */
  warning?: InboxNotice;
}

function SubjectCell(props: { m: MessageView; inbox: string }) {
  const { m } = props;
  const label = m.parseState === 'pending' ? 'Processing…' : m.subject ? clip(m.subject, 300) : '(no subject)';
  return (
    <td class="subject">
      <a href={messagePath(props.inbox, m.id)}>{label}</a>
      {m.parseState === 'failed' ? (
        <>
          {' '}
          <span class="flag">unparsed</span>
        </>
      ) : null}
    </td>
  );
}

export function InboxPage(props: InboxProps) {
  const { inbox, messages } = props;
  return (
    <Layout title={`${inbox} — Mailroom`} nonce={props.nonce} address={inbox}>
      {/* The first page updates itself as mail becomes ready (issue 11; push/live-inbox.ts and app.js). */}
      <h1 class="addr" data-live-inbox={props.paged ? undefined : inbox}>
        {inbox}
      </h1>
      <PublicWarning address={inbox} notice={props.warning} />
      {props.notice ? (
        <p class="notice info" role="status">
          {props.notice}
        </p>
      ) : null}
      <p class="muted">
        {props.total === 1 ? '1 message' : `${props.total} messages`}, newest first. Times are UTC.{' '}
        <a href={inboxPath(inbox)}>Refresh</a>
      </p>
      {messages.length === 0 ? (
        props.paged ? (
          <p>No older messages.</p>
        ) : (
          <div class="empty">
            <p>No mail here yet. Send a test message to this address, for example with swaks:</p>
            <code class="cmd">{`swaks --server ${props.smtpHost}:${props.smtpPort} --to ${inbox}`}</code>
            <p class="muted">Then reload this page.</p>
          </div>
        )
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th>From</th>
              <th>Subject</th>
              <th>Received</th>
              <th class="num">Size</th>
              <th class="num">
                <span title="Attachments">Att.</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr class={m.read ? 'message' : 'message unread'} data-id={m.id}>
                <td class="from">
                  <Sender from={m.from} mailFrom={m.mailFrom} />
                </td>
                <SubjectCell m={m} inbox={inbox} />
                <td class="time">
                  <time datetime={isoTime(m.received)}>{formatTime(m.received)}</time>
                </td>
                <td class="num">{formatSize(m.size)}</td>
                <td class="num">
                  {m.attachments.length > 0 ? (
                    <span class="attachment-mark" title={`${m.attachments.length} attachment(s)`}>
                      📎 {m.attachments.length}
                    </span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        {props.paged ? <a href={inboxPath(inbox)}>« Newest</a> : null}
        {props.olderHref ? (
          <a href={props.olderHref} rel="next">
            Older »
          </a>
        ) : null}
      </nav>
    </Layout>
  );
}
