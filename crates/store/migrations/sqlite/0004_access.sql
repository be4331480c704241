-- People, service accounts, teams, API tokens and sign-in sessions.
--
-- A password is kept only as an Argon2id hash (PHC string); a token or a
-- session only as the SHA-256 of its value, which is shown once and never
-- stored. Both are long random strings, so a fast hash is enough.

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

-- kind: person (signs in with a password) or service (tokens only).
CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    kind                 TEXT NOT NULL,
    role                 TEXT NOT NULL,
    password_hash        TEXT,
    -- 1 when the password was set by someone else and must be changed.
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id  INTEGER NOT NULL REFERENCES teams (id),
    user_id  INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (team_id, user_id)
);

CREATE INDEX team_members_user ON team_members (user_id);

-- The teams that own an application; their members see it.
CREATE TABLE application_teams (
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    team_id         INTEGER NOT NULL REFERENCES teams (id),
    PRIMARY KEY (application_id, team_id)
);

CREATE INDEX application_teams_team ON application_teams (team_id);

-- application: the one application the token is limited to, by name (a
-- scanner's application may not exist before its first upload).
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    -- The token's first characters, to recognise it in lists.
    prefix        TEXT NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    role          TEXT NOT NULL,
    application   TEXT,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    last_used_at  INTEGER
);

CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    session_hash  TEXT NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    -- Every form of the session carries this value back.
    csrf_token    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
