-- Issue 16 (CPU per message): every message's ready commit asked for its
-- webhook and Slack deliveries with three INSERT ... SELECTs (~20-28 µs of
-- the writer thread's time per message) even where no address and no
-- account domain had either set, which is most appliances most of the time.
-- These partial indexes hold only the rows with one set, so "is any set at
-- all?" (WebhookStore.enqueueForReady) is one look at two empty indexes.
-- Their WHERE must stay the same expression as that query's.
CREATE INDEX addresses_push_subscribed ON addresses(address)
  WHERE coalesce(webhook, '') != '' OR coalesce(webhook_slack, '') != '';
CREATE INDEX account_domains_push_subscribed ON account_domains(domain)
  WHERE coalesce(webhook, '') != '' OR coalesce(webhook_slack, '') != '';
