-- Text, HTML and headers are kept together as one deflated JSON document in
-- body_z (issue 7: the database was 1.8x the raw mail it held, and these three
-- plain-text columns were a third of it). Rows parsed before this migration
-- keep their plain columns; body_z NULL means "read those".
ALTER TABLE contents ADD COLUMN body_z BLOB;

-- The search index can no longer read new.text in a trigger, so applyParse
-- feeds it directly (same columns, same address list as before).
DROP TRIGGER contents_fts_parsed;
