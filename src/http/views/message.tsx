// The message page. Message-derived strings are JSX text (escaped) everywhere;
// the only raw() is the output of textToSafeHtml, which escapes by design.
// The HTML body is never in this page: it lives in a sandboxed iframe served by
// its own route with its own CSP (GUIDE "Showing mail from strangers").
import { raw } from 'hono/html';
import type { MessageView } from '../../store/messages.js';
import { Layout, PublicWarning } from './layout.js';
import type { InboxNotice } from '../privacy-facts.js';
import { AddressList, Sender } from './parts.js';
import { clip, formatSize, formatTime, isoTime } from '../pages/format.js';
import { attachmentPath, inboxPath, messagePath } from '../pages/paths.js';

export type MessageTab = 'html' | 'text' | 'headers';

export interface MessageLink {
  href: string;
  host: string;
}

export interface MessageProps {
  nonce: string;
  inbox: string;
  m: MessageView;
  tab: MessageTab;
  hasHtml: boolean;
  hasText: boolean;
  /** textToSafeHtml output for the text tab; safe to pass to raw(). */
  textHtml?: string;
  headers?: Array<[string, string]>;
  /** Remote resources the sanitizer blocked in the HTML body. */
  remoteBlocked: number;
  remote: boolean;
  links: MessageLink[];
  /** Start of the raw source, shown escaped when parsing failed. */
  rawPreview?: string;
  rawTruncated?: boolean;
  csrfToken: string;
  /** From http/privacy-facts.ts: who can read this inbox. */
  notice?: InboxNotice;
}

function Tabs(props: MessageProps) {
  const base = messagePath(props.inbox, props.m.id);
  const cur = (t: MessageTab) => (props.tab === t ? 'page' : undefined);
  return (
    <nav class="tabs" aria-label="Message views">
      {props.hasHtml ? (
        <a href={props.remote ? `${base}?view=html&remote=1` : `${base}?view=html`} aria-current={cur('html')}>
          HTML
        </a>
      ) : null}
      <a href={`${base}?view=text`} aria-current={cur('text')}>
        Plain text
      </a>
      <a href={`${base}/headers`} aria-current={cur('headers')}>
        Headers
      </a>
      <a href={`${base}/raw`}>Raw source</a>
    </nav>
  );
}

function HtmlPane(props: MessageProps) {
  const base = messagePath(props.inbox, props.m.id);
  return (
    <div class="pane">
      {props.remote ? (
        <p class="notice info">
          Remote images are loaded for this message; the sender can see that it was opened.{' '}
          <a href={`${base}?view=html`}>Block them again</a>
        </p>
      ) : props.remoteBlocked > 0 ? (
        <p class="notice info">
          Remote images and styles are blocked: loading them tells the sender that this message was opened.{' '}
          <a class="button secondary" id="load-remote" href={`${base}?view=html&remote=1`}>
            Load remote images ({props.remoteBlocked} blocked)
          </a>
        </p>
      ) : null}
      {/* No allow-scripts and no allow-same-origin: the body runs nothing and gets an opaque origin. */}
      <iframe
        class="body"
        title="Message body"
        sandbox="allow-popups allow-popups-to-escape-sandbox"
        referrerpolicy="no-referrer"
        src={props.remote ? `${base}/html?remote=1` : `${base}/html`}
      ></iframe>
    </div>
  );
}

function TextPane(props: MessageProps) {
  return (
    <div class="pane">
      {props.hasText && props.textHtml !== undefined ? (
        <pre class="text">{raw(props.textHtml)}</pre>
      ) : (
        <p class="muted">This message has no plain-text part.</p>
      )}
    </div>
  );
}

function HeadersPane(props: MessageProps) {
  const headers = props.headers ?? [];
  const max = 1000;
  return (
    <div class="pane">
      <table class="headers">
        <tbody>
          {headers.slice(0, max).map(([name, value]) => (
            <tr>
              <th scope="row">{clip(name, 200)}</th>
              <td>{clip(value, 20_000)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {headers.length > max ? <p class="muted">{headers.length - max} more headers are in the raw source.</p> : null}
    </div>
  );
}

export function MessagePage(props: MessageProps) {
  const { m, inbox } = props;
  const base = messagePath(inbox, m.id);
  const pending = m.parseState === 'pending';
  const subject = pending ? 'Processing…' : m.subject ? clip(m.subject, 500) : '(no subject)';
  const head = pending ? <meta http-equiv="refresh" content="3" /> : undefined;
  return (
    <Layout title={`${subject} — ${inbox} — Mailroom`} nonce={props.nonce} address={inbox} head={head}>
      <p>
        <a href={inboxPath(inbox)}>« {inbox}</a>
      </p>
      <PublicWarning address={inbox} notice={props.notice} />
      <h1 class="subject">{subject}</h1>
      {pending ? (
        <p class="notice info" role="status">
          <span class="flag pending">processing…</span> This message was received and stored; Mailroom is still
          reading it. This page reloads by itself. Meanwhile you can read the <a href={`${base}/raw`}>raw source</a>.
        </p>
      ) : null}
      {m.parseState === 'failed' ? (
        <p class="notice bad" role="status">
          <span class="flag">could not be parsed</span> Mailroom kept this message exactly as it arrived but could not
          read its structure, so it is shown as raw source.
        </p>
      ) : null}
      <dl class="summary">
        <dt>From</dt>
        <dd class="from">
          <Sender from={m.from} mailFrom={m.mailFrom} />
        </dd>
        {m.to.length > 0 ? (
          <>
            <dt>To</dt>
            <dd>
              <AddressList list={m.to} />
            </dd>
          </>
        ) : null}
        {m.cc.length > 0 ? (
          <>
            <dt>Cc</dt>
            <dd>
              <AddressList list={m.cc} />
            </dd>
          </>
        ) : null}
        {m.date !== null ? (
          <>
            <dt>Date</dt>
            <dd>
              <time datetime={isoTime(m.date)}>{formatTime(m.date)}</time>
            </dd>
          </>
        ) : null}
        <dt>Received</dt>
        <dd>
          <time datetime={isoTime(m.received)}>{formatTime(m.received)}</time> · {formatSize(m.size)}
          {m.tls ? ' · over TLS' : ''}
        </dd>
        <dt>Envelope</dt>
        <dd>
          from <span class="addr">&lt;{clip(m.mailFrom, 320)}&gt;</span> to{' '}
          <span class="addr">{clip(m.originalInbox, 320)}</span>
        </dd>
      </dl>
      <div class="actions">
        <a class="button secondary" href={`${base}/raw?download=1`}>
          Download .eml
        </a>
        <form method="post" action={`${base}/delete`} data-confirm="Delete this message?">
          <input type="hidden" name="csrf" value={props.csrfToken} />
          <button type="submit" class="danger">
            Delete
          </button>
        </form>
      </div>
      {pending ? null : (
        <>
          <Tabs {...props} />
          {props.tab === 'html' ? <HtmlPane {...props} /> : null}
          {props.tab === 'text' ? <TextPane {...props} /> : null}
          {props.tab === 'headers' ? <HeadersPane {...props} /> : null}
        </>
      )}
      {props.rawPreview !== undefined ? (
        <>
          <h2>Raw source</h2>
          <div class="pane">
            <pre class="raw">{props.rawPreview}</pre>
            {props.rawTruncated ? (
              <p class="muted">
                Truncated. <a href={`${base}/raw`}>Show all of it</a>.
              </p>
            ) : null}
          </div>
        </>
      ) : null}
      {m.attachments.length > 0 ? (
        <>
          <h2>Attachments ({m.attachments.length})</h2>
          <ul class="attachments">
            {m.attachments.map((a) => (
              <li>
                <a href={attachmentPath(inbox, m.id, a.idx)}>{clip(a.filename || `attachment-${a.idx + 1}`, 200)}</a>{' '}
                <span class="muted">
                  {clip(a.contentType, 100)}, {formatSize(a.size)}
                  {a.inline ? ', inline' : ''}
                </span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {props.links.length > 0 ? (
        <>
          <h2>Links in this message ({props.links.length})</h2>
          <p class="muted">Each link with the host it really goes to. Link text in the message can say anything.</p>
          <ul class="links">
            {props.links.map((l) => (
              <li>
                <span class="host">{l.host}</span>{' '}
                <a href={l.href} rel="noopener noreferrer" target="_blank" referrerpolicy="no-referrer">
                  {clip(l.href, 300)}
                </a>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Layout>
  );
}
