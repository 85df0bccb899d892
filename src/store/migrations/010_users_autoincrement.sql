-- User ids are never reused (issue 13 item 4): the users table is rebuilt
-- with AUTOINCREMENT by store/migration-steps.ts (usersAutoincrement), in
-- this migration's transaction, from the table's own current definition.
SELECT 1;
