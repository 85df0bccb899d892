-- Audit log (issue 4): every admin read of a private inbox or message, every
-- export, deletion, key creation, role change and login. Who (the user id and
-- the name at the time, so a later rename or removal keeps the record
-- readable), what, when, and from where when privacy.storeSenderIp is on.
-- Entries carry ids and addresses, never message content.
CREATE TABLE audit_log (
  id        INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,                 -- epoch ms
  actor_id  INTEGER,                          -- users.id; NULL for the CLI and the system
  actor     TEXT    NOT NULL,                 -- user name, 'cli' or 'system'
  action    TEXT    NOT NULL,
  target    TEXT    NOT NULL DEFAULT '',      -- an address, a message id, a user name
  detail    TEXT    NOT NULL DEFAULT '',      -- JSON: counts, the inbox of a message, ...
  ip        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_target ON audit_log(target);
CREATE INDEX audit_log_actor ON audit_log(actor_id);

-- Deleting a row from the search index removes its terms from the index
-- pages at once instead of leaving them behind a tombstone until the next
-- merge, so deleted mail leaves no words in the file (bad-input 69).
INSERT INTO message_fts (message_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO message_fts (message_fts) VALUES ('optimize');
