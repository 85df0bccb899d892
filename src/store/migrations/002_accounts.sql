-- Accounts (issue 3): users with a role, their API keys, web sessions, and
-- the addresses they own. Secrets are never stored: keys and session tokens
-- as sha256 (they are 256-bit random, so a fast hash is enough), passwords as
-- scrypt with a per-user salt.
CREATE TABLE users (
  id             INTEGER PRIMARY KEY,
  username       TEXT    NOT NULL UNIQUE COLLATE NOCASE,  -- Mailsac's Account._id
  email          TEXT    NOT NULL DEFAULT '',
  role           TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
  password_hash  TEXT    NOT NULL DEFAULT '',             -- '' = no web login
  created        INTEGER NOT NULL,
  updated        INTEGER NOT NULL,
  last_login     INTEGER
);

CREATE TABLE api_keys (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name        TEXT    NOT NULL DEFAULT '',
  hint        TEXT    NOT NULL DEFAULT '',                -- first characters, to tell keys apart
  hash        TEXT    NOT NULL UNIQUE,                    -- hex sha256 of the whole key
  created     INTEGER NOT NULL,
  last_used   INTEGER,
  revoked     INTEGER                                     -- epoch ms, NULL while valid
);
CREATE INDEX api_keys_user ON api_keys(user_id);

CREATE TABLE sessions (
  hash        TEXT    PRIMARY KEY,                        -- hex sha256 of the cookie value
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created     INTEGER NOT NULL,
  expires     INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires);

-- A reserved (private) address: canonical inbox, as messages.inbox spells it.
-- Forwarding fields are stored as Mailsac's API sets them, even before
-- anything delivers by them.
CREATE TABLE addresses (
  address                 TEXT    PRIMARY KEY,
  owner_id                INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  info                    TEXT    NOT NULL DEFAULT '',
  forward                 TEXT,
  enablews                INTEGER NOT NULL DEFAULT 0,
  webhook                 TEXT,
  webhook_slack           TEXT,
  webhook_slack_to_from   INTEGER NOT NULL DEFAULT 0,
  created                 INTEGER NOT NULL,
  updated                 INTEGER NOT NULL
);
CREATE INDEX addresses_owner ON addresses(owner_id);

-- Who starred a message (Mailsac's savedBy); NULL when not starred.
ALTER TABLE messages ADD COLUMN saved_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX messages_starred ON messages(received DESC, seq DESC) WHERE starred = 1;
