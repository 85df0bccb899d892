-- State several Mailroom nodes sharing this database must agree on (issue 14),
-- which a single SQLite node kept in memory. PostgreSQL only: SQLite has no
-- second node to share it with.

-- Failure counters of the throttles that guard passwords and API keys
-- (http/middleware/rate-limit.ts): one budget per client or account across
-- every node, not one per node. `until` (epoch ms, the nodes' clock) is when
-- the counter is forgotten; expired rows are treated as absent and deleted by
-- retention (store/pg/retention.ts pgPruneRecords).
CREATE TABLE throttle_counters (
  key    text    PRIMARY KEY,
  count  integer NOT NULL,
  until  bigint  NOT NULL
);
CREATE INDEX throttle_counters_until ON throttle_counters (until);

-- When a job that runs on one node at a time (store/pg/cluster-lock.ts) last
-- started a scheduled run, by the database's clock (epoch ms): a node whose
-- tick comes after another node's run already finished does not run it again.
CREATE TABLE job_runs (
  name     text    PRIMARY KEY,
  started  bigint  NOT NULL
);
