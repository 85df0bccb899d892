-- "Ready" (issue 10): a message is listed, counted and searched only once its
-- processing result is committed (parsed, or failed and kept raw). The flag
-- lives on the per-inbox row, set in the same transaction as applyParse, so
-- list queries filter on it inside their index instead of joining contents.
ALTER TABLE messages ADD COLUMN ready INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET ready = 1 WHERE content_id IN (SELECT id FROM contents WHERE parse_state <> 'pending');

-- The list indexes lead with (inbox|domain, ready) so "ready messages of this
-- inbox, newest first" and its count stay one index range; queries that must
-- see every message (retention, data rights, delete) still use the prefix.
DROP INDEX messages_inbox_received;
CREATE INDEX messages_inbox_received ON messages(inbox, ready, received DESC, seq DESC);
DROP INDEX messages_domain_received;
CREATE INDEX messages_domain_received ON messages(domain, ready, received DESC, seq DESC);
