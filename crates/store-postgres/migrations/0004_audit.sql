-- The audit trail: one row per record, written in the transaction of the change it
-- records. `seq` orders records written in the same millisecond. No foreign key: a
-- record outlives what it describes.
CREATE TABLE audit_records (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id text COLLATE "C" NOT NULL,
    occurred_ms BIGINT NOT NULL,
    action text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    actor text COLLATE "C" NOT NULL,
    key_id text COLLATE "C",
    remote_address text COLLATE "C" NOT NULL,
    user_id text COLLATE "C" NOT NULL,
    login_ids JSONB NOT NULL,
    tenants JSONB NOT NULL,
    data JSONB NOT NULL
);
-- Newest first within a project, and pruning by age.
CREATE INDEX audit_records_time ON audit_records (project_id, occurred_ms DESC, seq DESC);
-- No index by user: a batch's records would scatter its entries across it, and it
-- cost more than the rest of the trail together (see docs/operators.md); a user's
-- history is read through the time index.
