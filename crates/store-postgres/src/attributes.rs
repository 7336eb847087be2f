//! Custom attribute definitions. Deleting a definition removes its values from every
//! user of the project in the same transaction, so no user holds an undefined key; a
//! definition replaced keeps its type, and may not take out an option users hold. The
//! project's catalog lock keeps user batches out meanwhile.

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::attribute::{AttributeDef, options_in_use, revisions};
use roster_domain::audit::{Origin, actions, records};
use roster_domain::ids::ProjectId;
use roster_store::AttributeStore;
use roster_store::catalog_json::decode_attributes;
use roster_store::sql::stored_options;
use serde_json::json;
use sqlx::{PgConnection, Row};

use crate::{PostgresStore, db_error, internal, lock_catalog, to_json, unique_violation};
use crate::{audit, users};

/// A project's (`$1`) attribute definitions in order, as one JSON array in the shape of
/// [`roster_store::catalog_json`].
pub(crate) const ATTRIBUTES_JSON: &str = "(SELECT coalesce(json_agg(json_build_array(name, \
       type_code, display_name, options, default_value, view_permissions, edit_permissions, \
       required::int) ORDER BY position), '[]')::text \
     FROM attribute_defs WHERE project_id = $1)";

/// A project's attribute definitions, in order.
pub(crate) async fn load_attributes(
    conn: &mut PgConnection,
    project: &ProjectId,
) -> Result<Vec<AttributeDef>, Error> {
    let json: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {ATTRIBUTES_JSON}")))
        .bind(project.as_str())
        .fetch_one(conn)
        .await
        .map_err(db_error("load attribute definitions"))?;
    decode_attributes(&json)
}

/// The position after the project's last definition: read once per transaction, then
/// counted up for each definition inserted.
pub(crate) async fn next_position(
    conn: &mut PgConnection,
    project: &ProjectId,
) -> Result<i64, Error> {
    sqlx::query_scalar(
        "SELECT coalesce(max(position), 0) + 1 FROM attribute_defs WHERE project_id = $1",
    )
    .bind(project.as_str())
    .fetch_one(conn)
    .await
    .map_err(internal("find the last attribute definition"))
}

/// Insert a definition at `position`.
pub(crate) async fn insert_attribute(
    conn: &mut PgConnection,
    project: &ProjectId,
    position: i64,
    d: &AttributeDef,
) -> Result<(), Error> {
    let options = stored_options(d);
    sqlx::query(
        "INSERT INTO attribute_defs (project_id, name, type_code, display_name, options, default_value, \
           view_permissions, edit_permissions, required, position) \
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10)",
    )
    .bind(project.as_str())
    .bind(d.name.as_str())
    .bind(d.kind.code())
    .bind(&d.display_name)
    .bind(to_json(&options))
    .bind(to_json(&d.default_value))
    .bind(to_json(&d.view_permissions))
    .bind(to_json(&d.edit_permissions))
    .bind(d.required)
    .bind(position)
    .execute(conn)
    .await
    .map_err(|e| {
        if unique_violation(&e).is_some() {
            Error::already_exists(format!(
                "name: custom attribute {:?} already exists",
                d.name.as_str()
            ))
        } else {
            db_error("create attribute")(e)
        }
    })?;
    Ok(())
}

/// A definition's parts that may change, written over the stored ones.
async fn rewrite_attribute(
    conn: &mut PgConnection,
    project: &ProjectId,
    d: &AttributeDef,
) -> Result<(), Error> {
    let options = stored_options(d);
    sqlx::query(
        "UPDATE attribute_defs SET display_name = $3, options = $4::jsonb, default_value = $5::jsonb, \
           view_permissions = $6::jsonb, edit_permissions = $7::jsonb, required = $8 \
         WHERE project_id = $1 AND name = $2",
    )
    .bind(project.as_str())
    .bind(d.name.as_str())
    .bind(&d.display_name)
    .bind(to_json(&options))
    .bind(to_json(&d.default_value))
    .bind(to_json(&d.view_permissions))
    .bind(to_json(&d.edit_permissions))
    .bind(d.required)
    .execute(conn)
    .await
    .map_err(db_error("update attribute"))?;
    Ok(())
}

/// The values of attribute `name` that users of the project hold outside `allowed`
/// (ten at most, in order), and how many users hold one. A list value counts by its
/// elements.
async fn held_outside(
    conn: &mut PgConnection,
    project: &ProjectId,
    name: &str,
    allowed: &[String],
) -> Result<(Vec<String>, u64), Error> {
    let row = sqlx::query(
        "WITH held AS (SELECT u.pk, e.v FROM users u, jsonb_array_elements_text( \
             CASE jsonb_typeof(u.custom_attributes -> $2) WHEN 'array' THEN u.custom_attributes -> $2 \
             ELSE jsonb_build_array(u.custom_attributes -> $2) END) AS e(v) \
           WHERE u.project_id = $1 AND u.custom_attributes ? $2 AND NOT (e.v = ANY($3::text[]))) \
         SELECT coalesce((SELECT array_agg(v ORDER BY v) FROM (SELECT DISTINCT v FROM held ORDER BY v LIMIT 10) s), \
                  '{}'::text[]) AS vals, \
                (SELECT count(DISTINCT pk) FROM held) AS users",
    )
    .bind(project.as_str())
    .bind(name)
    .bind(allowed)
    .fetch_one(conn)
    .await
    .map_err(db_error("find attribute values"))?;
    let values: Vec<String> = row
        .try_get("vals")
        .map_err(internal("read attribute values"))?;
    let users: i64 = row
        .try_get("users")
        .map_err(internal("read attribute values"))?;
    Ok((values, u64::try_from(users).unwrap_or(0)))
}

#[async_trait]
impl AttributeStore for PostgresStore {
    async fn create_attributes(
        &self,
        project: &ProjectId,
        defs: &[AttributeDef],
        origin: &Origin,
    ) -> Result<(), Error> {
        in_write_tx!(self, "create attributes", |conn| async {
            lock_catalog(conn, project).await?;
            let mut position = next_position(conn, project).await?;
            for d in defs {
                insert_attribute(conn, project, position, d).await?;
                position += 1;
            }
            let records: Vec<_> = defs
                .iter()
                .map(|d| records::attribute_created(origin, d))
                .collect();
            audit::insert(conn, project, origin, &records).await
        }
        .await)
    }

    async fn update_attributes(
        &self,
        project: &ProjectId,
        defs: &[AttributeDef],
        origin: &Origin,
    ) -> Result<(), Error> {
        in_write_tx!(self, "update attributes", |conn| async {
            // Exclusive: no user write, which takes the lock shared, can give a user a
            // value the new options leave out between the check and the commit.
            lock_catalog(conn, project).await?;
            let stored = load_attributes(conn, project).await?;
            let mut records = Vec::with_capacity(defs.len());
            for (i, (old, d)) in revisions(&stored, defs)?.into_iter().zip(defs).enumerate() {
                if d.limits_values() {
                    let (values, users) =
                        held_outside(conn, project, d.name.as_str(), &d.option_values()).await?;
                    if users > 0 {
                        let field = format!("attributes[{i}]");
                        return Err(options_in_use(&field, d.name.as_str(), &values, users));
                    }
                }
                rewrite_attribute(conn, project, d).await?;
                records.push(records::attribute_modified(origin, old, d));
            }
            audit::insert(conn, project, origin, &records).await
        }
        .await)
    }

    async fn delete_attributes(
        &self,
        project: &ProjectId,
        names: &[String],
        origin: &Origin,
    ) -> Result<(), Error> {
        in_write_tx!(self, "delete attributes", |conn| {
            async {
            lock_catalog(conn, project).await?;
            let deleted: Vec<String> = sqlx::query_scalar(
                "DELETE FROM attribute_defs WHERE project_id = $1 AND name = ANY($2) RETURNING name",
            )
            .bind(project.as_str())
            .bind(names)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error("delete attributes"))?;
            if !deleted.is_empty() {
                // The users holding a value of a deleted attribute: each is recorded with
                // the values it loses, before they go, then changes once.
                let changed: Vec<i64> = sqlx::query_scalar(
                    "SELECT pk FROM users WHERE project_id = $1 AND custom_attributes ?| $2::text[] \
                     ORDER BY pk FOR UPDATE",
                )
                .bind(project.as_str())
                .bind(&deleted)
                .fetch_all(&mut *conn)
                .await
                .map_err(db_error("find attribute values"))?;
                let record = records::cascade(
                    origin,
                    actions::USER_MODIFIED,
                    actions::ATTRIBUTE_DELETED,
                    &[],
                    json!({"deletedAttributes": deleted}),
                );
                audit::stamp_users(conn, origin, &record, &changed, &deleted).await?;
                sqlx::query(
                    "UPDATE users SET custom_attributes = custom_attributes - $2::text[] \
                     WHERE pk = ANY($1::bigint[])",
                )
                .bind(&changed)
                .bind(&deleted)
                .execute(&mut *conn)
                .await
                .map_err(db_error("remove attribute values"))?;
                users::move_versions(conn, origin.now, &changed).await?;
            }
            let records: Vec<_> = deleted
                .iter()
                .map(|name| records::attribute_deleted(origin, name))
                .collect();
            audit::insert(conn, project, origin, &records).await
        }
        .await
        })
    }

    async fn all_attributes(&self, project: &ProjectId) -> Result<Vec<AttributeDef>, Error> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(internal("acquire a connection"))?;
        load_attributes(&mut conn, project).await
    }
}
