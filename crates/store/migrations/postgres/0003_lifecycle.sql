-- What proves a ticket closed, and what a scan may prove.
--
-- A partial scan (only some paths or rules) and a scan of a branch fixgate
-- does not track prove nothing absent; a scan counts what it verified,
-- reopened and failed to verify.
ALTER TABLE scans ADD COLUMN partial BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN tracked BIGINT NOT NULL DEFAULT 1;
ALTER TABLE scans ADD COLUMN verified BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN reopened BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN verification_failed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scopes ADD COLUMN tracked BIGINT NOT NULL DEFAULT 1;

-- The branch whose scans open tickets, when the repository named it.
ALTER TABLE repositories ADD COLUMN default_branch TEXT;

-- The content layer's key (see fixgate's matching), the layer that matched
-- the finding last, and its CWEs as ",79,89," for linking tools' results.
ALTER TABLE findings ADD COLUMN content_fingerprint TEXT;
ALTER TABLE findings ADD COLUMN matched_by TEXT;
ALTER TABLE findings ADD COLUMN cwes TEXT NOT NULL DEFAULT ',';

-- A ticket that tracks a group of findings ("upgrade:pkg:npm/lodash",
-- "rule:bandit:B101"); the decision people took on it (false positive,
-- risk accepted) with its reason, approver and expiry; how it was closed.
ALTER TABLE tickets ADD COLUMN group_key TEXT;
ALTER TABLE tickets ADD COLUMN decision_reason TEXT;
ALTER TABLE tickets ADD COLUMN decision_approver TEXT;
ALTER TABLE tickets ADD COLUMN decision_expires_at BIGINT;
ALTER TABLE tickets ADD COLUMN closed_at BIGINT;
ALTER TABLE tickets ADD COLUMN closed_by_scan_id BIGINT REFERENCES scans (id);
ALTER TABLE tickets ADD COLUMN reopen_count BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tickets_group ON tickets (repository_id, group_key) WHERE group_key IS NOT NULL;
