-- Management keys as Descope manages them: keys that only read, keys limited to
-- addresses (a JSON list of addresses and CIDR ranges; empty: from anywhere), a
-- description, an active/inactive status, and the roles (`reBac`) given when the key was
-- made through the API, kept as given.
ALTER TABLE management_keys ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE management_keys ADD COLUMN permitted_ips TEXT NOT NULL DEFAULT '[]';
ALTER TABLE management_keys ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE management_keys ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE management_keys ADD COLUMN rebac TEXT NOT NULL DEFAULT '{}';
