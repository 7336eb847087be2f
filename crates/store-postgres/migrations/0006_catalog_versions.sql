-- A project's catalog (its roles with their permissions, its tenants, permissions and
-- attribute definitions) is read by every request that shows a user. Each change of it
-- gives the project a new `catalog_version`, in the transaction that makes the change,
-- so that a node may keep a catalog it read and, by reading this one number, know
-- whether it still is the project's catalog (`roster_store::catalog_cache`). The
-- triggers make the version move whatever writes the tables (an endpoint, a cascade,
-- `roster copy`). No version is given twice, so a project whose version reads as
-- before has the catalog it had (0 is every project's before its first change).
--
-- The versions come from the sequence `catalog_versions`, which no transaction waits on.
CREATE SEQUENCE catalog_versions;

ALTER TABLE projects ADD COLUMN catalog_version bigint NOT NULL DEFAULT 0;

-- A row of a table with a `project_id` changed.
CREATE FUNCTION catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE projects SET catalog_version = nextval('catalog_versions') WHERE id = OLD.project_id;
    ELSE
        UPDATE projects SET catalog_version = nextval('catalog_versions') WHERE id = NEW.project_id;
    END IF;
    RETURN NULL;
END $$;

-- A role's permission list changed (a role's own row names its project).
CREATE FUNCTION role_permissions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE projects SET catalog_version = nextval('catalog_versions')
         WHERE id = (SELECT project_id FROM roles WHERE pk = OLD.role_pk);
    ELSE
        UPDATE projects SET catalog_version = nextval('catalog_versions')
         WHERE id = (SELECT project_id FROM roles WHERE pk = NEW.role_pk);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER permissions_catalog AFTER INSERT OR UPDATE OR DELETE ON permissions
    FOR EACH ROW EXECUTE FUNCTION catalog_changed();

CREATE TRIGGER tenants_catalog AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION catalog_changed();

CREATE TRIGGER roles_catalog AFTER INSERT OR UPDATE OR DELETE ON roles
    FOR EACH ROW EXECUTE FUNCTION catalog_changed();

CREATE TRIGGER attribute_defs_catalog AFTER INSERT OR UPDATE OR DELETE ON attribute_defs
    FOR EACH ROW EXECUTE FUNCTION catalog_changed();

CREATE TRIGGER role_permissions_catalog AFTER INSERT OR UPDATE OR DELETE ON role_permissions
    FOR EACH ROW EXECUTE FUNCTION role_permissions_changed();
