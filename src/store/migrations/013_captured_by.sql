-- Email Capture (issue 12): the account that sent a message through the
-- capture port. Such a message is listed, counted, searched and read only by
-- that account and admins, whoever else reads the same inbox; NULL for mail
-- that came in over MX. No foreign key: user ids are never reused
-- (migration 010), so a deleted account's captured mail stays private (to
-- admins) instead of becoming public, as ON DELETE SET NULL would make it.
ALTER TABLE messages ADD COLUMN captured_by INTEGER;
CREATE INDEX messages_captured_by ON messages(captured_by) WHERE captured_by IS NOT NULL;
