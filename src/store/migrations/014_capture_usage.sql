-- Email Capture's monthly allowance (issue 15, a plan's captureMessagesPerMonth):
-- how many messages each account captured in each calendar month (UTC,
-- 'YYYY-MM'). A count of what was accepted, not of what is still stored, so
-- deleting captured mail does not give the month's allowance back. Deleted
-- with the account.
CREATE TABLE capture_usage (
  user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  month    TEXT    NOT NULL,
  messages INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, month)
) WITHOUT ROWID;
