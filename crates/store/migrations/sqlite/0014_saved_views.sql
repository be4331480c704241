-- Saved views: a person's named ticket filters, kept as the query string the
-- list and the board read (`state=new&severity=high`), so a view opens the
-- same page it was saved from. A view may be shared with one of its owner's
-- teams; its members see it and may open it, only its owner changes it.
CREATE TABLE saved_views (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    -- The name lower-cased, so "Mine" and "mine" are one name per person.
    name_key    TEXT NOT NULL,
    -- `tickets` or `board`: the page the view opens.
    page        TEXT NOT NULL,
    query       TEXT NOT NULL,
    team_id     INTEGER REFERENCES teams (id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (user_id, name_key)
);

CREATE INDEX saved_views_team ON saved_views (team_id) WHERE team_id IS NOT NULL;

-- The board counts each state's tickets and reads the most urgent of each
-- (due first, then severity); a repository's scan history reads its scans
-- newest first; "my work" reads pending risk acceptances.
CREATE INDEX tickets_board ON tickets (state, due_at, severity DESC, id DESC);
CREATE INDEX scans_repository ON scans (repository_id, id);
CREATE INDEX risk_requests_pending ON risk_requests (outcome, ticket_id);
