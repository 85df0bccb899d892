-- Push settings of an account's own domain: SQLite migration 015 (see it for
-- what each column means). verified_mx is informational; the TXT record
-- alone gates acceptance.
ALTER TABLE account_domains ADD COLUMN forward text;
ALTER TABLE account_domains ADD COLUMN enablews boolean NOT NULL DEFAULT false;
ALTER TABLE account_domains ADD COLUMN webhook text;
ALTER TABLE account_domains ADD COLUMN webhook_slack text;
ALTER TABLE account_domains ADD COLUMN webhook_slack_to_from boolean NOT NULL DEFAULT false;
ALTER TABLE account_domains ADD COLUMN verified_mx boolean NOT NULL DEFAULT false;
-- A domain-level delivery is skipped when a copy of the same message already
-- has one to the same URL: that check looks deliveries up by message.
CREATE INDEX webhook_deliveries_message ON webhook_deliveries (message_id);
