-- A project's catalog (its roles with their permissions, its tenants, permissions and
-- attribute definitions) is read by every request that shows a user. Each change of it
-- gives the project a new `catalog_version`, in the transaction that makes the change,
-- so that a node may keep a catalog it read and, by reading this one number, know
-- whether it still is the project's catalog (`roster_store::catalog_cache`). The
-- triggers make the version move whatever writes the tables (an endpoint, a cascade,
-- `roster copy`). No version is given twice, so a project whose version reads as
-- before has the catalog it had (0 is every project's before its first change).
--
-- The versions come from `catalog_clock`, one row counting every catalog change of the
-- database (SQLite's writes are serialized, so the row is no bottleneck).
ALTER TABLE projects ADD COLUMN catalog_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE catalog_clock (
    only    INTEGER NOT NULL PRIMARY KEY CHECK (only = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT INTO catalog_clock (only, version) VALUES (1, 0);

CREATE TRIGGER permissions_insert_catalog AFTER INSERT ON permissions BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = NEW.project_id;
END;

CREATE TRIGGER permissions_update_catalog AFTER UPDATE ON permissions BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = NEW.project_id;
END;

CREATE TRIGGER permissions_delete_catalog AFTER DELETE ON permissions BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = OLD.project_id;
END;

CREATE TRIGGER tenants_insert_catalog AFTER INSERT ON tenants BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = NEW.project_id;
END;

CREATE TRIGGER tenants_update_catalog AFTER UPDATE ON tenants BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = NEW.project_id;
END;

CREATE TRIGGER tenants_delete_catalog AFTER DELETE ON tenants BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = OLD.project_id;
END;

CREATE TRIGGER roles_insert_catalog AFTER INSERT ON roles BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = NEW.project_id;
END;

CREATE TRIGGER roles_update_catalog AFTER UPDATE ON roles BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = NEW.project_id;
END;

CREATE TRIGGER roles_delete_catalog AFTER DELETE ON roles BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = OLD.project_id;
END;

CREATE TRIGGER attribute_defs_insert_catalog AFTER INSERT ON attribute_defs BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = NEW.project_id;
END;

CREATE TRIGGER attribute_defs_update_catalog AFTER UPDATE ON attribute_defs BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = NEW.project_id;
END;

CREATE TRIGGER attribute_defs_delete_catalog AFTER DELETE ON attribute_defs BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = OLD.project_id;
END;

CREATE TRIGGER role_permissions_insert_catalog AFTER INSERT ON role_permissions BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = (SELECT project_id FROM roles WHERE pk = NEW.role_pk);
END;

CREATE TRIGGER role_permissions_update_catalog AFTER UPDATE ON role_permissions BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = (SELECT project_id FROM roles WHERE pk = NEW.role_pk);
END;

CREATE TRIGGER role_permissions_delete_catalog AFTER DELETE ON role_permissions BEGIN
    UPDATE catalog_clock SET version = version + 1;
    UPDATE projects SET catalog_version = (SELECT version FROM catalog_clock)
     WHERE id = (SELECT project_id FROM roles WHERE pk = OLD.role_pk);
END;
