-- Webhooks (issue 11): a per-account signing secret, the delivery queue and
-- the activity log the owner sees. The queue lives in the database so a
-- delivery survives kill -9 and restart (at least once); an attempt in flight
-- when the process died is retried once its lease (next_at) passes. Rows
-- carry ids, addresses and URLs, never message content: the payload is built
-- from the stored message at each attempt.
CREATE TABLE webhook_secrets (
  user_id   INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  secret    TEXT    NOT NULL,
  created   INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  address     TEXT    NOT NULL,                 -- the inbox whose setting asked for it
  message_id  TEXT    NOT NULL,                 -- messages.id (public id)
  kind        TEXT    NOT NULL DEFAULT 'webhook', -- 'webhook' | 'slack'
  url         TEXT    NOT NULL,
  created     INTEGER NOT NULL,                 -- epoch ms; retries stop retryHours after this
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_at     INTEGER NOT NULL,                 -- due time, or the lease of the attempt in flight
  state       TEXT    NOT NULL DEFAULT 'pending' -- 'pending' | 'delivered' | 'failed'
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_created ON webhook_deliveries(created);

CREATE TABLE webhook_activity (
  id           INTEGER PRIMARY KEY,
  delivery_id  INTEGER NOT NULL,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  address      TEXT    NOT NULL,
  message_id   TEXT    NOT NULL,
  url          TEXT    NOT NULL,
  at           INTEGER NOT NULL,                -- epoch ms the attempt started
  attempt      INTEGER NOT NULL,
  status       INTEGER,                         -- HTTP status; NULL when none came back
  latency_ms   INTEGER NOT NULL,
  error        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX webhook_activity_address ON webhook_activity(address, at);
CREATE INDEX webhook_activity_at ON webhook_activity(at);
