-- Indexes for a store of a million tickets (measured with `fixgate seed` and
-- `fixgate bench --web`; the README gives the figures).

-- The ticket list filtered by owning team, as the filter compares it
-- (ignoring case), then by state and severity: a team's open high and
-- critical tickets are a few index ranges, and both their count and the
-- ids of a page read nothing else.
CREATE INDEX tickets_team_listing ON tickets (LOWER(owner), state, severity, id);

-- The ticket list of one application, also filtered by CWE (the filter's
-- LIKE is checked on the index entry).
CREATE INDEX tickets_application_listing ON tickets (application_id, cwes, severity, id);

-- The figures of a window (closings, reopenings, SLA adherence, times to
-- triage and to verification, the backlog's trend) read the window's steps
-- from this index alone, by severity or limited to some applications too.
-- It starts with the columns of metric_transitions_step, which it replaces.
CREATE INDEX metric_transitions_window
    ON metric_transitions (step, at, detail, due_at, elapsed, severity, application_id);
DROP INDEX metric_transitions_step;

-- The open backlog by age and SLA state, in all or by any grouping, and its
-- top CWEs, rules and repositories, each from one index alone. These
-- replace the open-ticket indexes of 0012: they hold `is_open` too, without
-- which SQLite reads every open ticket's row to check the index's condition.
CREATE INDEX metric_tickets_open_facts
    ON metric_tickets (detected_at, due_at, paused, severity, priority, owner, application_id, tool,
                       is_open)
    WHERE is_open = 1;
CREATE INDEX metric_tickets_open_by_cwes ON metric_tickets (cwes, is_open) WHERE is_open = 1;
CREATE INDEX metric_tickets_open_by_rule ON metric_tickets (rule_id, is_open) WHERE is_open = 1;
CREATE INDEX metric_tickets_open_by_repository
    ON metric_tickets (repository_id, is_open) WHERE is_open = 1;
DROP INDEX metric_tickets_open;
DROP INDEX metric_tickets_open_cwes;
DROP INDEX metric_tickets_open_rule;
DROP INDEX metric_tickets_open_repository;
