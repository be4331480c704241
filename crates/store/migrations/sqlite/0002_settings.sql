-- Installation-wide values fixgate creates once, such as the key that hashes
-- leaked secrets.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A leaked secret's keyed hash, so the places one secret leaked are found
-- together. Never the secret itself.
ALTER TABLE findings ADD COLUMN secret_hash TEXT;
CREATE INDEX findings_secret_hash ON findings (secret_hash) WHERE secret_hash IS NOT NULL;
