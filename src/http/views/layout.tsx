// The page frame. Every string a view passes in is rendered as JSX text, which
// Hono escapes (including inside <title>); nothing here uses raw() except the doctype.
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { InboxNotice } from '../privacy-facts.js';

export interface LayoutProps {
  title: string;
  nonce: string;
  /** Pre-fills the "open inbox" box in the header. */
  address?: string;
  /** Extra <head> content, e.g. a refresh while a message is being parsed. */
  head?: Child;
  children?: Child;
}

export function Layout(props: LayoutProps) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          {/* The server sends Referrer-Policy: no-referrer, which makes browsers send
              `Origin: null` on our own form posts (Fetch §3.1.6). same-origin keeps
              Referer off every cross-origin request and gives our POSTs a real Origin. */}
          <meta name="referrer" content="same-origin" />
          <meta name="robots" content="noindex, nofollow" />
          <title>{props.title}</title>
          <link rel="stylesheet" href="/static/app.css" />
          <script src="/static/app.js" nonce={props.nonce} defer></script>
          {props.head}
        </head>
        <body>
          <header class="top">
            <a class="brand" href="/">
              Mailroom
            </a>
            <form method="get" action="/inbox" role="search">
              <input type="text" name="address" aria-label="Inbox address" placeholder="name@domain" value={props.address ?? ''} />
              <button type="submit">Open</button>
            </form>
          </header>
          <main>{props.children}</main>
          <footer>
            Mailroom receives mail only; it never sends mail and never fetches what a message points to. <a href="/privacy">Privacy</a>
          </footer>
        </body>
      </html>
    </>
  );
}

/** The policy's promise made visible: public inboxes have no privacy. */
export function PublicWarning(props: { address?: string; notice?: InboxNotice }) {
  // Generated from the running config (http/privacy-facts.ts), like /privacy.
  if (props.notice) {
    return (
      <p class={props.notice.tone === 'public' ? 'notice' : 'notice info'} role="note">
        <strong>{props.notice.title}</strong>{' '}
        {props.notice.parts.map((part) => (typeof part === 'string' ? part : <span class="addr">{part.addr}</span>))}{' '}
        <a href="/privacy">Privacy</a>
      </p>
    );
  }
  return (
    <p class="notice" role="note">
      <strong>Public inbox.</strong>{' '}
      {props.address ? (
        <>
          Anyone who knows <span class="addr">{props.address}</span> can read every message sent to it.
        </>
      ) : (
        <>Inboxes nobody owns are public: anyone who knows an address can read every message sent to it.</>
      )}{' '}
      Don't use it for anything private.
    </p>
  );
}
