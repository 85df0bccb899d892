-- Search (store/pg/message-reader.ts): a one-word query that is a local part
-- also finds the copies delivered to local@ any domain, `inbox LIKE 'local@%'`.
-- The inbox index sorts by the database's collation, which cannot answer a
-- prefix (except under "C"); this one compares bytes, as SQLite's BINARY
-- range over its inbox index does. No SQLite counterpart needed.
CREATE INDEX messages_inbox_pattern ON messages (inbox text_pattern_ops);
