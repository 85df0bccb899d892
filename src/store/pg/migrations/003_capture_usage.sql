-- Email Capture's monthly allowance: SQLite migration 014 (see it for why it
-- counts what was accepted, not what is still stored). month is 'YYYY-MM' in
-- UTC; deleted with the account.
CREATE TABLE capture_usage (
  user_id  bigint  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  month    text    NOT NULL,
  messages integer NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, month)
);
