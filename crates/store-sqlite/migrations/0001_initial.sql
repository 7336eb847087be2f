-- Roster's SQLite schema, first version.
--
-- Rules: never edit a migration that has shipped; add a new file. Every table is STRICT.
-- Every top-level row (user, tenant, role, permission, attribute definition, key)
-- belongs to a project, and its external ID is unique only within that project. Rows
-- also get an integer `pk`, which the join tables use: their indexes stay small and
-- their comparisons cheap, which is what makes batch writes fast. A pk is only ever
-- taken from rows the store loaded for the same project.
--
-- Uniqueness (login ID per project, tenant ID and name per project, role name per
-- scope, permission and attribute names per project) is enforced here, never by
-- checking first. Lists that reference other rows are join tables with foreign keys:
-- deleting a role, tenant or permission removes it from every user or role at once, and
-- renaming one is seen everywhere. Times are Unix milliseconds.

CREATE TABLE projects (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE management_keys (
    id         TEXT    NOT NULL PRIMARY KEY,
    project_id TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    -- SHA-256 of the key, hex. Never the key itself.
    key_hash   TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER,
    revoked_ms INTEGER,
    UNIQUE (project_id, key_hash)
) STRICT;

CREATE TABLE permissions (
    pk          INTEGER PRIMARY KEY,
    project_id  TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    UNIQUE (project_id, id),
    UNIQUE (project_id, name)
) STRICT;

CREATE TABLE tenants (
    pk                        INTEGER PRIMARY KEY,
    project_id                TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                        TEXT    NOT NULL,
    name                      TEXT    NOT NULL,
    self_provisioning_domains TEXT    NOT NULL,
    custom_attributes         TEXT    NOT NULL,
    enforce_sso               INTEGER NOT NULL,
    enforce_sso_exclusions    TEXT    NOT NULL,
    federated_app_ids         TEXT    NOT NULL,
    disabled                  INTEGER NOT NULL,
    parent_pk                 INTEGER REFERENCES tenants (pk) ON DELETE SET NULL,
    role_inheritance          TEXT    NOT NULL,
    default_roles             TEXT    NOT NULL,
    created_ms                INTEGER NOT NULL,
    UNIQUE (project_id, id),
    UNIQUE (project_id, name)
) STRICT;

CREATE INDEX tenants_parent ON tenants (parent_pk);

CREATE TABLE roles (
    pk          INTEGER PRIMARY KEY,
    project_id  TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    -- NULL for a project-level role.
    tenant_pk   INTEGER REFERENCES tenants (pk) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    is_default  INTEGER NOT NULL,
    is_private  INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL,
    UNIQUE (project_id, id)
) STRICT;

CREATE UNIQUE INDEX roles_name ON roles (project_id, coalesce(tenant_pk, 0), name);
CREATE INDEX roles_tenant ON roles (tenant_pk);

CREATE TABLE role_permissions (
    role_pk       INTEGER NOT NULL REFERENCES roles (pk) ON DELETE CASCADE,
    permission_pk INTEGER NOT NULL REFERENCES permissions (pk) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    PRIMARY KEY (role_pk, permission_pk)
) STRICT, WITHOUT ROWID;

CREATE INDEX role_permissions_permission ON role_permissions (permission_pk);

CREATE TABLE attribute_defs (
    project_id       TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    type_code        INTEGER NOT NULL,
    display_name     TEXT    NOT NULL,
    options          TEXT    NOT NULL,
    default_value    TEXT    NOT NULL,
    view_permissions TEXT    NOT NULL,
    edit_permissions TEXT    NOT NULL,
    required         INTEGER NOT NULL,
    position         INTEGER NOT NULL,
    PRIMARY KEY (project_id, name)
) STRICT;

CREATE TABLE users (
    pk                INTEGER PRIMARY KEY,
    project_id        TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    given_name        TEXT    NOT NULL,
    middle_name       TEXT    NOT NULL,
    family_name       TEXT    NOT NULL,
    email             TEXT,
    phone             TEXT,
    picture           TEXT    NOT NULL,
    verified_email    INTEGER NOT NULL,
    verified_phone    INTEGER NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('enabled', 'disabled', 'invited', 'expired')),
    test              INTEGER NOT NULL,
    scim              INTEGER NOT NULL,
    has_password      INTEGER NOT NULL,
    sso_app_ids       TEXT    NOT NULL,
    external_ids      TEXT    NOT NULL,
    custom_attributes TEXT    NOT NULL,
    created_ms        INTEGER NOT NULL,
    modified_ms       INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    UNIQUE (project_id, id)
) STRICT;

-- Search lists a project's users, test users apart, in creation order.
CREATE INDEX users_listing ON users (project_id, test, created_ms);
CREATE INDEX users_email ON users (project_id, email);
CREATE INDEX users_phone ON users (project_id, phone);

CREATE TABLE user_login_ids (
    project_id TEXT    NOT NULL,
    login_id   TEXT    NOT NULL,
    user_pk    INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (project_id, login_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX user_login_ids_user ON user_login_ids (user_pk);

CREATE TABLE user_roles (
    user_pk  INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    role_pk  INTEGER NOT NULL REFERENCES roles (pk) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (user_pk, role_pk)
) STRICT, WITHOUT ROWID;

CREATE INDEX user_roles_role ON user_roles (role_pk);

CREATE TABLE user_tenants (
    user_pk   INTEGER NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    tenant_pk INTEGER NOT NULL REFERENCES tenants (pk) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    PRIMARY KEY (user_pk, tenant_pk)
) STRICT, WITHOUT ROWID;

CREATE INDEX user_tenants_tenant ON user_tenants (tenant_pk);

CREATE TABLE user_tenant_roles (
    user_pk   INTEGER NOT NULL,
    tenant_pk INTEGER NOT NULL,
    role_pk   INTEGER NOT NULL REFERENCES roles (pk) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    PRIMARY KEY (user_pk, tenant_pk, role_pk),
    FOREIGN KEY (user_pk, tenant_pk) REFERENCES user_tenants (user_pk, tenant_pk) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX user_tenant_roles_role ON user_tenant_roles (role_pk);
