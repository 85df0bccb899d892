-- Push settings of an account's own domain (issues 11 and 12): Mailsac's
-- custom-domain `enablews`, and the forwarding fields Mailsac keeps on the
-- domain's catch-all address (forward, webhook, webhookSlack,
-- webhookSlackToFrom), which in Mailroom are the domain's: they apply to
-- every message for the domain, catch-all on or off. verified_mx records
-- whether the last check saw the domain's MX pointing at this Mailroom
-- (informational: the TXT record alone gates acceptance).
ALTER TABLE account_domains ADD COLUMN forward TEXT;
ALTER TABLE account_domains ADD COLUMN enablews INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account_domains ADD COLUMN webhook TEXT;
ALTER TABLE account_domains ADD COLUMN webhook_slack TEXT;
ALTER TABLE account_domains ADD COLUMN webhook_slack_to_from INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account_domains ADD COLUMN verified_mx INTEGER NOT NULL DEFAULT 0;
-- A domain-level delivery is skipped when a copy of the same message already
-- has one to the same URL: that check looks deliveries up by message.
CREATE INDEX webhook_deliveries_message ON webhook_deliveries(message_id);
