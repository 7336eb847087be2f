//! Custom attribute definitions. Deleting a definition removes its values from every
//! user of the project in the same transaction, so no user holds an undefined key; a
//! definition replaced keeps its type, and may not take out an option users hold.

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::attribute::{AttributeDef, options_in_use, revisions};
use roster_domain::audit::{Origin, actions, records};
use roster_domain::ids::ProjectId;
use roster_store::AttributeStore;
use roster_store::catalog_json::decode_attributes;
use roster_store::sql::stored_options;
use serde_json::json;
use sqlx::{Row, SqliteConnection};

use crate::{SqliteStore, audit, internal, is_unique_violation, json_column, to_json, users};

/// A project's (`?1`) attribute definitions in order, as one JSON array in the shape of
/// [`roster_store::catalog_json`].
pub(crate) const ATTRIBUTES_JSON: &str = "(SELECT json_group_array(json_array(name, type_code, \
       display_name, json(options), json(default_value), json(view_permissions), \
       json(edit_permissions), required) ORDER BY position) \
     FROM attribute_defs WHERE project_id = ?1)";

/// A project's attribute definitions, in order.
pub(crate) async fn load_attributes(
    conn: &mut SqliteConnection,
    project: &ProjectId,
) -> Result<Vec<AttributeDef>, Error> {
    let json: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {ATTRIBUTES_JSON}")))
        .bind(project.as_str())
        .fetch_one(conn)
        .await
        .map_err(internal("load attribute definitions"))?;
    decode_attributes(&json)
}

/// The position after the project's last definition: read once per transaction, then
/// counted up for each definition inserted.
pub(crate) async fn next_position(
    conn: &mut SqliteConnection,
    project: &ProjectId,
) -> Result<i64, Error> {
    sqlx::query_scalar(
        "SELECT coalesce(max(position), 0) + 1 FROM attribute_defs WHERE project_id = ?1",
    )
    .bind(project.as_str())
    .fetch_one(conn)
    .await
    .map_err(internal("find the last attribute definition"))
}

/// Insert a definition at `position`.
pub(crate) async fn insert_attribute(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    position: i64,
    d: &AttributeDef,
) -> Result<(), Error> {
    let options = stored_options(d);
    sqlx::query(
        "INSERT INTO attribute_defs (project_id, name, type_code, display_name, options, default_value, \
           view_permissions, edit_permissions, required, position) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
        if is_unique_violation(&e) {
            Error::already_exists(format!(
                "name: custom attribute {:?} already exists",
                d.name.as_str()
            ))
        } else {
            internal("create attribute")(e)
        }
    })?;
    Ok(())
}

/// A definition's parts that may change, written over the stored ones.
async fn rewrite_attribute(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    d: &AttributeDef,
) -> Result<(), Error> {
    let options = stored_options(d);
    sqlx::query(
        "UPDATE attribute_defs SET display_name = ?3, options = ?4, default_value = ?5, \
           view_permissions = ?6, edit_permissions = ?7, required = ?8 \
         WHERE project_id = ?1 AND name = ?2",
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
    .map_err(internal("update attribute"))?;
    Ok(())
}

/// The values of attribute `name` that users of the project hold outside `allowed`
/// (ten at most, in order), and how many users hold one. A list value counts by its
/// elements.
async fn held_outside(
    conn: &mut SqliteConnection,
    project: &ProjectId,
    name: &str,
    allowed: &[String],
) -> Result<(Vec<String>, u64), Error> {
    // json_each of a path yields the array's elements, or the value itself.
    let (values, users): (String, i64) = sqlx::query_as(
        "WITH held AS (SELECT u.pk, e.value AS v FROM users u, json_each(u.custom_attributes, ?2) e \
           WHERE u.project_id = ?1 AND e.value NOT IN (SELECT value FROM json_each(?3))) \
         SELECT (SELECT json_group_array(v) FROM (SELECT DISTINCT CAST(v AS TEXT) AS v FROM held ORDER BY v LIMIT 10)), \
                (SELECT count(DISTINCT pk) FROM held)",
    )
    .bind(project.as_str())
    .bind(format!("$.\"{name}\""))
    .bind(to_json(&allowed))
    .fetch_one(conn)
    .await
    .map_err(internal("find attribute values"))?;
    Ok((
        json_column(&values, "attribute values")?,
        u64::try_from(users).unwrap_or(0),
    ))
}

#[async_trait]
impl AttributeStore for SqliteStore {
    async fn create_attributes(
        &self,
        project: &ProjectId,
        defs: &[AttributeDef],
        origin: &Origin,
    ) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let mut position = next_position(&mut tx, project).await?;
        for d in defs {
            insert_attribute(&mut tx, project, position, d).await?;
            position += 1;
        }
        let records: Vec<_> = defs
            .iter()
            .map(|d| records::attribute_created(origin, d))
            .collect();
        audit::insert(&mut tx, project, origin, &records).await?;
        tx.commit().await.map_err(internal("commit"))
    }

    async fn update_attributes(
        &self,
        project: &ProjectId,
        defs: &[AttributeDef],
        origin: &Origin,
    ) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let stored = load_attributes(&mut tx, project).await?;
        let mut records = Vec::with_capacity(defs.len());
        for (i, (old, d)) in revisions(&stored, defs)?.into_iter().zip(defs).enumerate() {
            if d.limits_values() {
                let (values, users) =
                    held_outside(&mut tx, project, d.name.as_str(), &d.option_values()).await?;
                if users > 0 {
                    let field = format!("attributes[{i}]");
                    return Err(options_in_use(&field, d.name.as_str(), &values, users));
                }
            }
            rewrite_attribute(&mut tx, project, d).await?;
            records.push(records::attribute_modified(origin, old, d));
        }
        audit::insert(&mut tx, project, origin, &records).await?;
        tx.commit().await.map_err(internal("commit"))
    }

    async fn delete_attributes(
        &self,
        project: &ProjectId,
        names: &[String],
        origin: &Origin,
    ) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let names_json = to_json(&names);
        let deleted = sqlx::query(
            "DELETE FROM attribute_defs WHERE project_id = ?1 AND name IN (SELECT value FROM json_each(?2)) \
             RETURNING name",
        )
        .bind(project.as_str())
        .bind(&names_json)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal("delete attributes"))?;
        let gone: Vec<String> = deleted
            .iter()
            .map(|row| row.try_get("name").map_err(internal("read an attribute")))
            .collect::<Result<_, _>>()?;
        let records: Vec<_> = gone
            .iter()
            .map(|name| records::attribute_deleted(origin, name))
            .collect();
        // The users holding a value of a deleted attribute: each is recorded with the
        // values it loses, before they go, then changes once.
        let changed: Vec<i64> = sqlx::query_scalar(
            "SELECT pk FROM users WHERE project_id = ?1 AND EXISTS (SELECT 1 \
               FROM json_each(custom_attributes) j WHERE j.key IN (SELECT value FROM json_each(?2)))",
        )
        .bind(project.as_str())
        .bind(to_json(&gone))
        .fetch_all(&mut *tx)
        .await
        .map_err(internal("find attribute values"))?;
        let record = records::cascade(
            origin,
            actions::USER_MODIFIED,
            actions::ATTRIBUTE_DELETED,
            &[],
            json!({"deletedAttributes": gone}),
        );
        audit::stamp_users(&mut tx, origin, &record, &changed, &gone).await?;
        for name in &gone {
            sqlx::query(
                "UPDATE users SET custom_attributes = json_remove(custom_attributes, ?2) \
                 WHERE project_id = ?1 AND json_type(custom_attributes, ?2) IS NOT NULL",
            )
            .bind(project.as_str())
            .bind(format!("$.\"{name}\""))
            .execute(&mut *tx)
            .await
            .map_err(internal("remove attribute values"))?;
        }
        users::move_versions(&mut tx, origin.now, &changed).await?;
        audit::insert(&mut tx, project, origin, &records).await?;
        tx.commit().await.map_err(internal("commit"))
    }

    async fn all_attributes(&self, project: &ProjectId) -> Result<Vec<AttributeDef>, Error> {
        let mut conn = self
            .reader
            .acquire()
            .await
            .map_err(internal("acquire a reader"))?;
        load_attributes(&mut conn, project).await
    }
}
