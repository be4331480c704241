-- Inbound webhooks: connectors receive events from code hosts and trackers
-- as deliveries signed with their hook's secret.
--
-- The secret is stored as it is, not hashed: checking a delivery means
-- computing an HMAC with it, which a hash of the secret cannot do. Whoever
-- reads this table can sign deliveries, so the database and its back-ups
-- are as sensitive as the secrets. A revoked hook keeps its row and its name.
CREATE TABLE inbound_hooks (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    secret      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- Each delivery taken, once. The delivery id is the sender's, else the
-- signature; the signature (lowercase hex) is unique too, because the id is
-- not signed: a captured delivery sent again under a new id is a replay.
CREATE TABLE hook_deliveries (
    id           INTEGER PRIMARY KEY,
    hook_id      INTEGER NOT NULL REFERENCES inbound_hooks (id),
    delivery_id  TEXT NOT NULL,
    signature    TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    body         TEXT NOT NULL,
    UNIQUE (hook_id, delivery_id),
    UNIQUE (hook_id, signature)
);
