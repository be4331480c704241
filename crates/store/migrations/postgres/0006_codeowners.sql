-- Each repository's CODEOWNERS file, by the repository's URL as scans name
-- it, kept as uploaded: it is parsed again when read, so a newer parser
-- reads an older file as it reads a new one.
CREATE TABLE codeowners (
    repository_url  TEXT PRIMARY KEY,
    content         TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    updated_by      TEXT NOT NULL
);
