-- Roster's PostgreSQL schema, first version. It mirrors the SQLite schema table for
-- table and column for column (same names, same meaning), so that `roster copy` can
-- check a copy table by table and both backends behave alike.
--
-- Rules: never edit a migration that has shipped; add a new file. Every top-level row
-- (user, tenant, role, permission, attribute definition, key) belongs to a project, and
-- its external ID is unique only within that project. Rows also get a `bigint` `pk`,
-- which the join tables use. Text columns use the "C" collation: comparisons and
-- sorting are by bytes, as in SQLite, whatever the database's locale, and `ILIKE` folds
-- ASCII letters only, as SQLite's `LIKE` does.
--
-- Uniqueness (login ID per project, tenant ID and name per project, role name per
-- scope, permission and attribute names per project) is enforced here, never by
-- checking first. Lists that reference other rows are join tables with foreign keys.
-- Free-form lists and maps are `jsonb`. Times are Unix milliseconds.

CREATE TABLE projects (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    name       text COLLATE "C" NOT NULL,
    created_ms bigint NOT NULL
);

CREATE TABLE management_keys (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    project_id text COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       text COLLATE "C" NOT NULL,
    -- SHA-256 of the key, hex. Never the key itself.
    key_hash   text COLLATE "C" NOT NULL,
    created_ms bigint NOT NULL,
    expires_ms bigint,
    revoked_ms bigint,
    UNIQUE (project_id, key_hash)
);

CREATE TABLE permissions (
    pk          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  text COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id          text COLLATE "C" NOT NULL,
    name        text COLLATE "C" NOT NULL,
    description text COLLATE "C" NOT NULL,
    position    bigint NOT NULL,
    CONSTRAINT permissions_id UNIQUE (project_id, id),
    CONSTRAINT permissions_name UNIQUE (project_id, name)
);

CREATE TABLE tenants (
    pk                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id                text COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                        text COLLATE "C" NOT NULL,
    name                      text COLLATE "C" NOT NULL,
    self_provisioning_domains jsonb NOT NULL,
    custom_attributes         jsonb NOT NULL,
    enforce_sso               boolean NOT NULL,
    enforce_sso_exclusions    jsonb NOT NULL,
    federated_app_ids         jsonb NOT NULL,
    disabled                  boolean NOT NULL,
    parent_pk                 bigint REFERENCES tenants (pk) ON DELETE SET NULL,
    role_inheritance          text COLLATE "C" NOT NULL,
    default_roles             jsonb NOT NULL,
    created_ms                bigint NOT NULL,
    CONSTRAINT tenants_id UNIQUE (project_id, id),
    CONSTRAINT tenants_name UNIQUE (project_id, name)
);

CREATE INDEX tenants_parent ON tenants (parent_pk);

CREATE TABLE roles (
    pk          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  text COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id          text COLLATE "C" NOT NULL,
    -- NULL for a project-level role.
    tenant_pk   bigint REFERENCES tenants (pk) ON DELETE CASCADE,
    name        text COLLATE "C" NOT NULL,
    description text COLLATE "C" NOT NULL,
    is_default  boolean NOT NULL,
    is_private  boolean NOT NULL,
    created_ms  bigint NOT NULL,
    CONSTRAINT roles_id UNIQUE (project_id, id)
);

CREATE UNIQUE INDEX roles_name ON roles (project_id, coalesce(tenant_pk, 0), name);
CREATE INDEX roles_tenant ON roles (tenant_pk);

CREATE TABLE role_permissions (
    role_pk       bigint NOT NULL REFERENCES roles (pk) ON DELETE CASCADE,
    permission_pk bigint NOT NULL REFERENCES permissions (pk) ON DELETE CASCADE,
    position      bigint NOT NULL,
    PRIMARY KEY (role_pk, permission_pk)
);

CREATE INDEX role_permissions_permission ON role_permissions (permission_pk);

CREATE TABLE attribute_defs (
    project_id       text COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name             text COLLATE "C" NOT NULL,
    type_code        bigint NOT NULL,
    display_name     text COLLATE "C" NOT NULL,
    options          jsonb NOT NULL,
    default_value    jsonb NOT NULL,
    view_permissions jsonb NOT NULL,
    edit_permissions jsonb NOT NULL,
    required         boolean NOT NULL,
    position         bigint NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE users (
    pk                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id        text COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                text COLLATE "C" NOT NULL,
    name              text COLLATE "C" NOT NULL,
    given_name        text COLLATE "C" NOT NULL,
    middle_name       text COLLATE "C" NOT NULL,
    family_name       text COLLATE "C" NOT NULL,
    email             text COLLATE "C",
    phone             text COLLATE "C",
    picture           text COLLATE "C" NOT NULL,
    verified_email    boolean NOT NULL,
    verified_phone    boolean NOT NULL,
    status            text COLLATE "C" NOT NULL CHECK (status IN ('enabled', 'disabled', 'invited', 'expired')),
    test              boolean NOT NULL,
    scim              boolean NOT NULL,
    has_password      boolean NOT NULL,
    sso_app_ids       jsonb NOT NULL,
    external_ids      jsonb NOT NULL,
    custom_attributes jsonb NOT NULL,
    created_ms        bigint NOT NULL,
    modified_ms       bigint NOT NULL,
    version           bigint NOT NULL,
    CONSTRAINT users_id UNIQUE (project_id, id)
);

-- Search lists a project's users, test users apart, in creation order.
CREATE INDEX users_listing ON users (project_id, test, created_ms, pk);
CREATE INDEX users_email ON users (project_id, email);
CREATE INDEX users_phone ON users (project_id, phone);

CREATE TABLE user_login_ids (
    project_id text COLLATE "C" NOT NULL,
    login_id   text COLLATE "C" NOT NULL,
    user_pk    bigint NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    position   bigint NOT NULL,
    CONSTRAINT user_login_ids_pkey PRIMARY KEY (project_id, login_id)
);

CREATE INDEX user_login_ids_user ON user_login_ids (user_pk);

CREATE TABLE user_roles (
    user_pk  bigint NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    role_pk  bigint NOT NULL REFERENCES roles (pk) ON DELETE CASCADE,
    position bigint NOT NULL,
    PRIMARY KEY (user_pk, role_pk)
);

CREATE INDEX user_roles_role ON user_roles (role_pk);

CREATE TABLE user_tenants (
    user_pk   bigint NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    tenant_pk bigint NOT NULL REFERENCES tenants (pk) ON DELETE CASCADE,
    position  bigint NOT NULL,
    PRIMARY KEY (user_pk, tenant_pk)
);

CREATE INDEX user_tenants_tenant ON user_tenants (tenant_pk);

CREATE TABLE user_tenant_roles (
    user_pk   bigint NOT NULL,
    tenant_pk bigint NOT NULL,
    role_pk   bigint NOT NULL REFERENCES roles (pk) ON DELETE CASCADE,
    position  bigint NOT NULL,
    PRIMARY KEY (user_pk, tenant_pk, role_pk),
    FOREIGN KEY (user_pk, tenant_pk) REFERENCES user_tenants (user_pk, tenant_pk) ON DELETE CASCADE
);

CREATE INDEX user_tenant_roles_role ON user_tenant_roles (role_pk);
