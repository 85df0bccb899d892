-- One row per received message body, however many recipients it had: the raw
-- bytes are the source of truth, everything parsed is derived from them and
-- can be rebuilt (parse_state 'pending' rows are parsed again at start).
CREATE TABLE contents (
  id            INTEGER PRIMARY KEY,
  received      INTEGER NOT NULL,               -- epoch ms when the 250 was earned
  size          INTEGER NOT NULL,               -- raw size in bytes, as received
  raw           BLOB    NOT NULL,
  raw_encoding  TEXT    NOT NULL DEFAULT 'identity' CHECK (raw_encoding IN ('identity', 'deflate')),
  sha256        TEXT    NOT NULL,
  mail_from     TEXT    NOT NULL,               -- envelope sender; '' for the null sender
  rcpt_to       TEXT    NOT NULL,               -- JSON array of envelope recipients as given
  ip            TEXT    NOT NULL DEFAULT '',
  helo          TEXT    NOT NULL DEFAULT '',
  tls           INTEGER NOT NULL DEFAULT 0,
  parse_state   TEXT    NOT NULL DEFAULT 'pending' CHECK (parse_state IN ('pending', 'ok', 'failed')),
  parse_error   TEXT    NOT NULL DEFAULT '',
  subject       TEXT    NOT NULL DEFAULT '',
  from_json     TEXT    NOT NULL DEFAULT '[]',
  to_json       TEXT    NOT NULL DEFAULT '[]',
  cc_json       TEXT    NOT NULL DEFAULT '[]',
  bcc_json      TEXT    NOT NULL DEFAULT '[]',
  date          INTEGER,
  message_id    TEXT    NOT NULL DEFAULT '',
  text          TEXT    NOT NULL DEFAULT '',
  html          TEXT    NOT NULL DEFAULT '',
  headers_json  TEXT    NOT NULL DEFAULT '[]',
  links_json    TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX contents_pending ON contents(parse_state) WHERE parse_state = 'pending';

-- Attachment bytes, stored once however many messages carry them.
CREATE TABLE blobs (
  sha256  TEXT PRIMARY KEY,
  md5     TEXT    NOT NULL,
  size    INTEGER NOT NULL,
  data    BLOB    NOT NULL
);

CREATE TABLE attachments (
  content_id    INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,
  idx           INTEGER NOT NULL,
  sha256        TEXT    NOT NULL REFERENCES blobs(sha256),
  md5           TEXT    NOT NULL,
  filename      TEXT    NOT NULL DEFAULT '',
  content_type  TEXT    NOT NULL DEFAULT 'application/octet-stream',
  size          INTEGER NOT NULL,
  cid           TEXT    NOT NULL DEFAULT '',
  inline        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (content_id, idx)
);
CREATE INDEX attachments_sha256 ON attachments(sha256);

-- One row per (recipient inbox, message): what a reader lists, stars, labels.
CREATE TABLE messages (
  seq             INTEGER PRIMARY KEY,          -- insertion order; tiebreak for paging
  id              TEXT    NOT NULL UNIQUE,      -- opaque public id (Mailsac's _id)
  content_id      INTEGER NOT NULL REFERENCES contents(id),
  inbox           TEXT    NOT NULL,             -- canonical address: local@domain
  original_inbox  TEXT    NOT NULL,             -- the RCPT as given (keeps +tag)
  domain          TEXT    NOT NULL,
  received        INTEGER NOT NULL,
  read            INTEGER NOT NULL DEFAULT 0,
  starred         INTEGER NOT NULL DEFAULT 0,
  folder          TEXT    NOT NULL DEFAULT 'inbox',
  labels_json     TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX messages_inbox_received ON messages(inbox, received DESC, seq DESC);
CREATE INDEX messages_domain_received ON messages(domain, received DESC, seq DESC);
CREATE INDEX messages_content ON messages(content_id);
CREATE INDEX messages_received ON messages(received);
