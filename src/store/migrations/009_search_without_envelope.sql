-- The search index no longer holds envelope recipients (issue 13 item 5):
-- one shared index row per message made a public copy match the private and
-- Bcc co-recipients of the same message. The rows are rebuilt by
-- store/search-reindex.ts right after this migration is applied (the bodies
-- are deflated, which SQL cannot read); this file only records the version.
SELECT 1;
