-- Working on tickets together: the person a ticket is assigned to, the
-- people who watch it, its labels and its links to other tickets. Every
-- change to these is also an event in ticket_events.

-- A person (a user of kind person), by name, as events name actors.
ALTER TABLE tickets ADD COLUMN assignee TEXT REFERENCES users (name);
CREATE INDEX tickets_assignee ON tickets (assignee) WHERE assignee IS NOT NULL;

CREATE TABLE ticket_watchers (
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);

CREATE INDEX ticket_watchers_user ON ticket_watchers (user_id);

-- Labels are stored lower-case, so the key keeps them unique whatever
-- their case.
CREATE TABLE ticket_labels (
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id),
    label      TEXT NOT NULL,
    PRIMARY KEY (ticket_id, label)
);

CREATE INDEX ticket_labels_label ON ticket_labels (label);

-- kind: blocks, duplicate_of or relates_to, as the source ticket reads it;
-- the target reads blocked_by, duplicated_by and relates_to.
CREATE TABLE ticket_links (
    source_id   BIGINT NOT NULL REFERENCES tickets (id),
    kind        TEXT NOT NULL,
    target_id   BIGINT NOT NULL REFERENCES tickets (id),
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    PRIMARY KEY (source_id, kind, target_id),
    CHECK (source_id <> target_id)
);

CREATE INDEX ticket_links_target ON ticket_links (target_id);
