-- Passwords set through the management API (an Argon2id hash, never the password),
-- recovery email and phone, and tenant session settings.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN password_expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN recovery_email TEXT;
ALTER TABLE users ADD COLUMN verified_recovery_email INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN recovery_phone TEXT;
ALTER TABLE users ADD COLUMN verified_recovery_phone INTEGER NOT NULL DEFAULT 0;

-- The settings of `/v1/mgmt/tenant/settings` that are not tenant fields, as a JSON object.
ALTER TABLE tenants ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
