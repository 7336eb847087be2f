-- Management keys that only read, and keys limited to addresses (a JSON list of
-- addresses and CIDR ranges; empty: from anywhere).
ALTER TABLE management_keys ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE management_keys ADD COLUMN permitted_ips TEXT NOT NULL DEFAULT '[]';
