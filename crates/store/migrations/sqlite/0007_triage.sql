-- Triage by policy: who owns a ticket and why, its priority and why, its SLA
-- clock, and the risk acceptances people ask for and approve.
--
-- `owner` (0001) is the owning team; `routed_by` says which rule chose it
-- ("CODEOWNERS line 4", "route rule 2", "application team", "manual").
ALTER TABLE tickets ADD COLUMN routed_by TEXT;
ALTER TABLE tickets ADD COLUMN priority TEXT;
ALTER TABLE tickets ADD COLUMN priority_reason TEXT;
-- The exploit signals the priority saw: CISA KEV membership, EPSS score.
ALTER TABLE tickets ADD COLUMN kev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN epss REAL;
-- A custom workflow's state name, for ticket types that have one; `state`
-- then holds the built-in state it means.
ALTER TABLE tickets ADD COLUMN status TEXT;
-- The SLA clock: started at first detection, stopped while `paused_at` is
-- set; `due_at` (0001) and `due_soon_at` follow from the policy.
ALTER TABLE tickets ADD COLUMN sla_started_at INTEGER;
ALTER TABLE tickets ADD COLUMN due_soon_at INTEGER;
ALTER TABLE tickets ADD COLUMN paused_at INTEGER;
-- The due date people were warned about and told was breached, so each
-- warning goes out once per due date.
ALTER TABLE tickets ADD COLUMN warned_due_at INTEGER;
ALTER TABLE tickets ADD COLUMN breached_due_at INTEGER;
-- Who asked for the risk acceptance the ticket is under.
ALTER TABLE tickets ADD COLUMN decision_requested_by TEXT;

CREATE INDEX tickets_owner ON tickets (owner);
CREATE INDEX tickets_due ON tickets (due_at) WHERE due_at IS NOT NULL;

-- Every stretch of time a ticket's SLA clock stood still.
CREATE TABLE ticket_pauses (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    reason      TEXT NOT NULL
);

CREATE INDEX ticket_pauses_ticket ON ticket_pauses (ticket_id);

-- A request to accept a ticket's risk, and what became of it.
CREATE TABLE risk_requests (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets (id),
    requested_by  TEXT NOT NULL,
    requested_at  INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    expires_at    INTEGER NOT NULL,
    -- pending, approved, rejected or withdrawn.
    outcome       TEXT NOT NULL,
    decided_by    TEXT,
    decided_at    INTEGER,
    note          TEXT
);

CREATE INDEX risk_requests_ticket ON risk_requests (ticket_id);

-- The triage policy file, every version loaded; the latest applies.
CREATE TABLE triage_policies (
    id         INTEGER PRIMARY KEY,
    content    TEXT NOT NULL,
    loaded_at  INTEGER NOT NULL,
    loaded_by  TEXT NOT NULL
);
