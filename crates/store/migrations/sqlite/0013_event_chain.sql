-- The event log as a hash chain (docs/audit.md): every event gets the next
-- number on the chain and a SHA-256 over the hash before it and its own
-- fields, and `audit_chain` keeps the chain's head. Events stored before
-- this migration get theirs when the store next opens, in id order.
ALTER TABLE ticket_events ADD COLUMN chain_seq INTEGER;
ALTER TABLE ticket_events ADD COLUMN hash TEXT;

CREATE UNIQUE INDEX ticket_events_chain_seq ON ticket_events (chain_seq);
-- Events not on the chain yet: the ones a transaction is about to seal.
CREATE INDEX ticket_events_unsealed ON ticket_events (id) WHERE chain_seq IS NULL;

-- One row: the number and hash of the last event on the chain. Seq 0 with
-- 32 zero bytes is the empty chain.
CREATE TABLE audit_chain (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);

INSERT INTO audit_chain (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Still append-only, but for the one change sealing makes: giving an event
-- that has none its place on the chain, leaving every other field as it was.
DROP TRIGGER ticket_events_no_update;

CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
WHEN NOT (
    OLD.chain_seq IS NULL AND OLD.hash IS NULL
    AND NEW.chain_seq IS NOT NULL AND NEW.hash IS NOT NULL
    AND NEW.id = OLD.id AND NEW.ticket_id = OLD.ticket_id AND NEW.at = OLD.at
    AND NEW.actor = OLD.actor AND NEW.kind = OLD.kind AND NEW.data = OLD.data
)
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;
