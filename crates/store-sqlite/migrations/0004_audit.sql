-- The audit trail: one row per record, written in the transaction of the change it
-- records. `seq` orders records written in the same millisecond; lists and data are
-- JSON. No foreign key: a record outlives what it describes.
CREATE TABLE audit_records (
    seq INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL,
    occurred_ms INTEGER NOT NULL,
    action TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    key_id TEXT,
    remote_address TEXT NOT NULL,
    user_id TEXT NOT NULL,
    login_ids TEXT NOT NULL,
    tenants TEXT NOT NULL,
    data TEXT NOT NULL
) STRICT;
-- Newest first within a project, and pruning by age.
CREATE INDEX audit_records_time ON audit_records (project_id, occurred_ms);
-- No index by user: a batch's records would scatter its entries across it, and it
-- cost more than the rest of the trail together (see docs/operators.md); a user's
-- history is read through the time index.
