-- Management keys that only read, and keys limited to addresses (a JSON list of
-- addresses and CIDR ranges; empty: from anywhere).
ALTER TABLE management_keys
    ADD COLUMN read_only boolean NOT NULL DEFAULT false,
    ADD COLUMN permitted_ips jsonb NOT NULL DEFAULT '[]'::jsonb;
