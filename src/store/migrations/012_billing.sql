-- Billing through Stripe (issue 15). Mailroom keeps only what ties an account
-- to Stripe and what the account may have: the customer id, the
-- subscription's id, price, status and grace deadline, and the ids of the
-- webhook events already applied (each is applied once). Never card data:
-- payment details stay with Stripe (Checkout and the customer portal).
CREATE TABLE billing_customers (
  user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  customer_id  TEXT    NOT NULL UNIQUE,
  created      INTEGER NOT NULL
);

-- One row per Stripe subscription, as Stripe last said it was (fetched from
-- Stripe, not taken from an event, so events arriving out of order settle on
-- the current state).
CREATE TABLE billing_subscriptions (
  subscription_id  TEXT    PRIMARY KEY,
  user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  customer_id      TEXT    NOT NULL,
  price_id         TEXT    NOT NULL DEFAULT '',
  status           TEXT    NOT NULL,
  -- epoch ms when the subscription stopped granting its plan (NULL while it grants)
  lapsed_at        INTEGER,
  -- epoch ms until which a lapsed subscription still grants its plan
  grace_until      INTEGER,
  -- epoch ms when the release after the grace period ran (NULL: not yet)
  enforced_at      INTEGER,
  created          INTEGER NOT NULL,
  updated          INTEGER NOT NULL
);
CREATE INDEX billing_subscriptions_user ON billing_subscriptions(user_id);
CREATE INDEX billing_subscriptions_grace ON billing_subscriptions(grace_until) WHERE grace_until IS NOT NULL AND enforced_at IS NULL;

-- Stripe event ids already applied: a replayed delivery changes nothing.
CREATE TABLE billing_events (
  event_id  TEXT    PRIMARY KEY,
  type      TEXT    NOT NULL,
  received  INTEGER NOT NULL
);

-- Addresses released because a lapsed plan's grace period ended, shown on the
-- account page (the audit log holds the same, for the operator).
CREATE TABLE billing_releases (
  id        INTEGER PRIMARY KEY,
  user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  address   TEXT    NOT NULL,
  wiped     INTEGER NOT NULL,
  at        INTEGER NOT NULL
);
CREATE INDEX billing_releases_user ON billing_releases(user_id);
