-- Your own domains (issue 12): an account adds a domain, proves it by a DNS
-- TXT record carrying `token`, and from then on receives its mail. A verified
-- domain belongs to that account and is private by default (Mailsac), so
-- every inbox under it reads as the owner's. Config domains are not here:
-- they stay the operator's.
CREATE TABLE account_domains (
  domain        TEXT    PRIMARY KEY,                      -- canonical (lower-case, no trailing dot, A-label)
  owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token         TEXT    NOT NULL,                         -- the TXT value to publish: mailroom-verification=<token>
  verified      INTEGER,                                  -- epoch ms of the successful check, NULL until then
  is_private    INTEGER NOT NULL DEFAULT 1,
  catch_all     INTEGER NOT NULL DEFAULT 0,                -- 1: every message is also filed under *@domain
  last_error    TEXT    NOT NULL DEFAULT '',              -- what the last failed check saw, for the owner
  created       INTEGER NOT NULL,
  updated       INTEGER NOT NULL
);
CREATE INDEX account_domains_owner ON account_domains(owner_id);
