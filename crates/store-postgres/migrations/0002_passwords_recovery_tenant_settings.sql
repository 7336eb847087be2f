-- Passwords set through the management API (an Argon2id hash, never the password),
-- recovery email and phone, and tenant session settings.
ALTER TABLE users
    ADD COLUMN password_hash text COLLATE "C",
    ADD COLUMN password_expired boolean NOT NULL DEFAULT false,
    ADD COLUMN recovery_email text COLLATE "C",
    ADD COLUMN verified_recovery_email boolean NOT NULL DEFAULT false,
    ADD COLUMN recovery_phone text COLLATE "C",
    ADD COLUMN verified_recovery_phone boolean NOT NULL DEFAULT false;

-- The settings of `/v1/mgmt/tenant/settings` that are not tenant fields, as a JSON object.
ALTER TABLE tenants ADD COLUMN settings jsonb NOT NULL DEFAULT '{}'::jsonb;
