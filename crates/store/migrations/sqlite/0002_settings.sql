-- Installation-wide values fixgate creates once, such as the key that hashes
-- leaked secrets.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
