-- Outbound notifications: the channels people are told through, and an
-- outbox holding each notice for each channel until it is delivered.
--
-- A channel's name is unique among the channels in use; a removed channel
-- keeps its row (its queued notices point at it) but frees its name.
-- `secret` is a webhook channel's signing key, kept as it is like inbound
-- hooks' secrets (0005): signing needs the key itself. `target` may be a
-- credential too (a Slack or Teams webhook URL), so lists mask it.
-- `kinds` holds the notice kinds the channel wants, space-separated with a
-- space at each end (` breached due_soon `), or NULL for every kind;
-- `digest` is `none` or `daily@HH`, optionally with `[Area/City]`.
CREATE TABLE notify_channels (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    secret       TEXT,
    team         TEXT,
    kinds        TEXT,
    digest       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    disabled_at  INTEGER
);

CREATE UNIQUE INDEX notify_channels_name ON notify_channels (name) WHERE disabled_at IS NULL;

-- One row per notice and channel, written in the transaction of the change
-- it reports. A sender claims due rows by setting `locked_until` and its
-- own `lock_token`, so two server replicas never send the same row; a
-- sender that dies leaves the lease to run out. A row ends delivered or
-- given up, and keeps the last failed attempt's error either way.
CREATE TABLE notify_outbox (
    id               INTEGER PRIMARY KEY,
    channel_id       INTEGER NOT NULL REFERENCES notify_channels (id),
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    deliver_after    INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_attempt_at  INTEGER,
    last_error       TEXT,
    locked_until     INTEGER,
    lock_token       TEXT,
    delivered_at     INTEGER,
    gave_up_at       INTEGER
);

CREATE INDEX notify_outbox_due ON notify_outbox (deliver_after)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX notify_outbox_channel ON notify_outbox (channel_id);

-- Finished rows are deleted after 30 days, at the end of every round.
CREATE INDEX notify_outbox_delivered ON notify_outbox (delivered_at)
    WHERE delivered_at IS NOT NULL;
CREATE INDEX notify_outbox_gave_up ON notify_outbox (gave_up_at) WHERE gave_up_at IS NOT NULL;
