-- Management keys as Descope manages them: keys that only read, keys limited to
-- addresses (a JSON list of addresses and CIDR ranges; empty: from anywhere), a
-- description, an active/inactive status, and the roles (`reBac`) given when the key was
-- made through the API, kept as given.
ALTER TABLE management_keys
    ADD COLUMN read_only boolean NOT NULL DEFAULT false,
    ADD COLUMN permitted_ips jsonb NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN description text NOT NULL DEFAULT '',
    ADD COLUMN active boolean NOT NULL DEFAULT true,
    ADD COLUMN rebac jsonb NOT NULL DEFAULT '{}'::jsonb;
