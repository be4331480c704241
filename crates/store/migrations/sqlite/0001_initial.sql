-- fixgate's first schema. Times are milliseconds since the Unix epoch (UTC);
-- flags are 0/1 integers; lists are stored as text in the forms documented
-- on each column, so the same SQL reads them on every backend.

CREATE TABLE applications (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE repositories (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    url             TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (application_id, url)
);

CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);

CREATE TABLE scopes (
    id              INTEGER PRIMARY KEY,
    scope_key       TEXT NOT NULL UNIQUE,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    repository_id   INTEGER REFERENCES repositories (id),
    branch          TEXT NOT NULL,
    tool            TEXT NOT NULL,
    category        TEXT NOT NULL,
    last_scan_id    INTEGER
);

CREATE TABLE scans (
    id               INTEGER PRIMARY KEY,
    application_id   INTEGER NOT NULL REFERENCES applications (id),
    repository_id    INTEGER REFERENCES repositories (id),
    branch           TEXT NOT NULL,
    commit_sha       TEXT,
    environment      TEXT,
    category         TEXT NOT NULL,
    tools            TEXT NOT NULL,
    format           TEXT NOT NULL,
    report_sha256    TEXT NOT NULL,
    report_bytes     INTEGER NOT NULL,
    uploader         TEXT NOT NULL,
    imported_at      INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL DEFAULT 0,
    findings_count   INTEGER NOT NULL DEFAULT 0,
    opened           INTEGER NOT NULL DEFAULT 0,
    seen_again       INTEGER NOT NULL DEFAULT 0,
    reappeared       INTEGER NOT NULL DEFAULT 0,
    no_longer_seen   INTEGER NOT NULL DEFAULT 0,
    suppressed       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE scan_scopes (
    scan_id   INTEGER NOT NULL REFERENCES scans (id),
    scope_id  INTEGER NOT NULL REFERENCES scopes (id),
    PRIMARY KEY (scan_id, scope_id)
);

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    ticket_key      TEXT NOT NULL UNIQUE,
    ticket_type     TEXT NOT NULL,
    state           TEXT NOT NULL,
    severity        INTEGER NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    application_id  INTEGER REFERENCES applications (id),
    repository_id   INTEGER REFERENCES repositories (id),
    branch          TEXT,
    commit_sha      TEXT,
    tool            TEXT,
    rule_id         TEXT,
    path            TEXT,
    -- ",79,89," so that one LIKE finds a CWE.
    cwes            TEXT NOT NULL,
    -- " CVE-2021-1 GHSA-xxxx-xxxx-xxxx " so that one LIKE finds an id.
    advisories      TEXT NOT NULL,
    owner           TEXT,
    due_at          INTEGER,
    present         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE INDEX tickets_listing ON tickets (severity DESC, id DESC);

CREATE TABLE findings (
    id                 INTEGER PRIMARY KEY,
    application_id     INTEGER NOT NULL REFERENCES applications (id),
    repository_id      INTEGER REFERENCES repositories (id),
    fingerprint        TEXT NOT NULL,
    ticket_id          INTEGER REFERENCES tickets (id),
    tool               TEXT NOT NULL,
    rule_id            TEXT NOT NULL,
    title              TEXT NOT NULL,
    severity           INTEGER NOT NULL,
    path               TEXT,
    start_line         INTEGER,
    end_line           INTEGER,
    suppressed         INTEGER NOT NULL,
    -- Everything else the report said (message, tool severity, CWEs,
    -- advisories, location, trace, fingerprints, remediation) as JSON.
    details            TEXT NOT NULL,
    first_scan_id      INTEGER NOT NULL REFERENCES scans (id),
    last_scan_id       INTEGER NOT NULL REFERENCES scans (id),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE UNIQUE INDEX findings_identity
    ON findings (application_id, COALESCE(repository_id, 0), fingerprint);
CREATE INDEX findings_ticket ON findings (ticket_id);

CREATE TABLE sightings (
    id              INTEGER PRIMARY KEY,
    finding_id      INTEGER NOT NULL REFERENCES findings (id),
    scope_id        INTEGER NOT NULL REFERENCES scopes (id),
    first_scan_id   INTEGER NOT NULL REFERENCES scans (id),
    last_scan_id    INTEGER NOT NULL REFERENCES scans (id),
    first_seen_at   INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    times_seen      INTEGER NOT NULL,
    present         INTEGER NOT NULL,
    absent_since_scan_id INTEGER REFERENCES scans (id),
    UNIQUE (scope_id, finding_id)
);

CREATE INDEX sightings_finding ON sightings (finding_id);

CREATE TABLE ticket_events (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    -- What changed, as a JSON object whose keys depend on the kind.
    data        TEXT NOT NULL
);

CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- The event log is append-only: history is evidence.
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;

CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;
