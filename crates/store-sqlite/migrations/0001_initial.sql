-- Roster's SQLite schema, first version.
--
-- Rules: never edit a migration that has shipped; add a new file. Every table is STRICT,
-- every row belongs to a project and every key starts with project_id, so one project
-- can never reach another's rows by a missing filter. Uniqueness (login ID per project,
-- tenant ID and name per project, role name per scope, permission and attribute names
-- per project) is enforced here, never by checking first. Lists that reference other
-- rows are join tables with foreign keys, so deleting a role, tenant or permission
-- removes it from every user or role at once, and renaming one is seen everywhere.
-- Times are Unix milliseconds.

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
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, name)
) STRICT;

CREATE TABLE tenants (
    project_id                TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                        TEXT    NOT NULL,
    name                      TEXT    NOT NULL,
    self_provisioning_domains TEXT    NOT NULL,
    custom_attributes         TEXT    NOT NULL,
    enforce_sso               INTEGER NOT NULL,
    enforce_sso_exclusions    TEXT    NOT NULL,
    federated_app_ids         TEXT    NOT NULL,
    disabled                  INTEGER NOT NULL,
    parent_id                 TEXT,
    role_inheritance          TEXT    NOT NULL,
    default_roles             TEXT    NOT NULL,
    created_ms                INTEGER NOT NULL,
    PRIMARY KEY (project_id, id),
    UNIQUE (project_id, name),
    FOREIGN KEY (project_id, parent_id) REFERENCES tenants (project_id, id)
) STRICT;

CREATE INDEX tenants_parent ON tenants (project_id, parent_id);

CREATE TABLE roles (
    project_id  TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    -- NULL for a project-level role.
    tenant_id   TEXT,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    is_default  INTEGER NOT NULL,
    is_private  INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, tenant_id) REFERENCES tenants (project_id, id) ON DELETE CASCADE
) STRICT;

CREATE UNIQUE INDEX roles_name ON roles (project_id, coalesce(tenant_id, ''), name);
CREATE INDEX roles_tenant ON roles (project_id, tenant_id);

CREATE TABLE role_permissions (
    project_id    TEXT    NOT NULL,
    role_id       TEXT    NOT NULL,
    permission_id TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (project_id, role_id, permission_id),
    FOREIGN KEY (project_id, role_id) REFERENCES roles (project_id, id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, permission_id) REFERENCES permissions (project_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX role_permissions_permission ON role_permissions (project_id, permission_id);

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
    PRIMARY KEY (project_id, id)
) STRICT;

CREATE INDEX users_created ON users (project_id, created_ms);
CREATE INDEX users_email ON users (project_id, email);
CREATE INDEX users_phone ON users (project_id, phone);

CREATE TABLE user_login_ids (
    project_id TEXT    NOT NULL,
    login_id   TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (project_id, login_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX user_login_ids_user ON user_login_ids (project_id, user_id);

CREATE TABLE user_roles (
    project_id TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    role_id    TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id, role_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, role_id) REFERENCES roles (project_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX user_roles_role ON user_roles (project_id, role_id);

CREATE TABLE user_tenants (
    project_id TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    tenant_id  TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id, tenant_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, tenant_id) REFERENCES tenants (project_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX user_tenants_tenant ON user_tenants (project_id, tenant_id);

CREATE TABLE user_tenant_roles (
    project_id TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    tenant_id  TEXT    NOT NULL,
    role_id    TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id, tenant_id, role_id),
    FOREIGN KEY (project_id, user_id, tenant_id)
        REFERENCES user_tenants (project_id, user_id, tenant_id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, role_id) REFERENCES roles (project_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX user_tenant_roles_role ON user_tenant_roles (project_id, role_id);
