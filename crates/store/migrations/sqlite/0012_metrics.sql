-- The facts fixgate's figures are computed from (docs/metrics.md). Both
-- tables are derived from the event log: the store adds to them in the
-- transaction that appends the events, and `fixgate report rebuild`
-- recomputes them from the events alone.

-- One row per security ticket. What the ticket is (application, repository,
-- tool, rule, CWEs, severity, priority, owning team) is copied from it, and
-- the trigger below keeps the parts that change in step; where it stands
-- (first detection, first triage, open or not, the due date in force, the
-- SLA clock paused) follows from its events.
CREATE TABLE metric_tickets (
    ticket_id       INTEGER PRIMARY KEY REFERENCES tickets (id),
    application_id  INTEGER,
    repository_id   INTEGER,
    tool            TEXT,
    rule_id         TEXT,
    -- ",79,89," as on tickets.
    cwes            TEXT NOT NULL,
    severity        INTEGER NOT NULL,
    priority        TEXT,
    owner           TEXT,
    detected_at     INTEGER NOT NULL,
    triaged_at      INTEGER,
    is_open         INTEGER NOT NULL,
    due_at          INTEGER,
    paused          INTEGER NOT NULL
);

CREATE INDEX metric_tickets_detected ON metric_tickets (detected_at);
-- The open backlog: its size, ages, SLA states and top rules, repositories
-- and CWEs are read from these alone.
CREATE INDEX metric_tickets_open ON metric_tickets (detected_at, due_at, paused)
    WHERE is_open = 1;
CREATE INDEX metric_tickets_open_rule ON metric_tickets (rule_id) WHERE is_open = 1;
CREATE INDEX metric_tickets_open_repository ON metric_tickets (repository_id) WHERE is_open = 1;
CREATE INDEX metric_tickets_open_cwes ON metric_tickets (cwes) WHERE is_open = 1;

-- One row per step of a ticket's life that a figure counts: its first
-- triage, each closing and each reopening. `elapsed` is the time since the
-- ticket's first detection (ms); a closing keeps the due date in force then.
CREATE TABLE metric_transitions (
    id              INTEGER PRIMARY KEY,
    ticket_id       INTEGER NOT NULL REFERENCES tickets (id),
    at              INTEGER NOT NULL,
    -- triaged, closed or reopened.
    step            TEXT NOT NULL,
    -- triaged: the state moved to; closed: verified, closed, false_positive,
    -- risk_accepted or duplicate; reopened: scan, person or expiry.
    detail          TEXT NOT NULL,
    elapsed         INTEGER NOT NULL,
    due_at          INTEGER,
    application_id  INTEGER,
    tool            TEXT,
    severity        INTEGER NOT NULL,
    priority        TEXT,
    owner           TEXT
);

CREATE INDEX metric_transitions_step ON metric_transitions (step, at);
CREATE INDEX metric_transitions_ticket ON metric_transitions (ticket_id);

-- Figures group by what a ticket is now: a changed severity (a group
-- ticket's findings), priority or owning team moves its facts with it.
CREATE TRIGGER metric_tickets_follow AFTER UPDATE OF severity, priority, owner ON tickets
WHEN NEW.severity IS NOT OLD.severity OR NEW.priority IS NOT OLD.priority
    OR NEW.owner IS NOT OLD.owner
BEGIN
    UPDATE metric_tickets SET severity = NEW.severity, priority = NEW.priority, owner = NEW.owner
        WHERE ticket_id = NEW.id;
    UPDATE metric_transitions
        SET severity = NEW.severity, priority = NEW.priority, owner = NEW.owner
        WHERE ticket_id = NEW.id;
END;

-- Scanner coverage finds each scope's latest complete scan.
CREATE INDEX scan_scopes_scope ON scan_scopes (scope_id, scan_id);

-- A store upgraded with tickets already in it has its facts computed by
-- `fixgate report rebuild`; until then the figures say they are incomplete.
INSERT INTO settings (name, value)
    SELECT 'metrics.rebuild', 'needed' WHERE EXISTS (SELECT 1 FROM tickets);
