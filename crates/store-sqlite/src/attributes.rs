//! Custom attribute definitions. Deleting a definition removes its values from every
//! user of the project in the same transaction, so no user holds an undefined key; a
//! definition replaced keeps its type, and may not take out an option users hold.

use std::sync::LazyLock;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::attribute::{AttributeDef, options_in_use, revisions};
use roster_domain::audit::{Origin, actions, records};
use roster_domain::ids::ProjectId;
use roster_store::AttributeStore;
use roster_store::catalog_json::decode_attributes;
use roster_store::sql::stored_options;
use rusqlite::{Connection, params};
use serde_json::json;

use crate::db::{failed, is_unique_violation};
use crate::{SqliteStore, audit, json_column, to_json, users};

/// A project's (`?1`) attribute definitions in order, as one JSON array in the shape of
/// [`roster_store::catalog_json`].
pub(crate) const ATTRIBUTES_JSON: &str = "(SELECT json_group_array(json_array(name, type_code, \
       display_name, json(options), json(default_value), json(view_permissions), \
       json(edit_permissions), required) ORDER BY position) \
     FROM attribute_defs WHERE project_id = ?1)";

/// A project's attribute definitions, in order.
pub(crate) fn load_attributes(
    conn: &Connection,
    project: &ProjectId,
) -> Result<Vec<AttributeDef>, Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| format!("SELECT {ATTRIBUTES_JSON}"));
    let json: String = conn
        .prepare_cached(&SQL)
        .and_then(|mut st| st.query_row([project.as_str()], |r| r.get(0)))
        .map_err(failed("load attribute definitions"))?;
    decode_attributes(&json)
}

/// The position after the project's last definition: read once per transaction, then
/// counted up for each definition inserted.
pub(crate) fn next_position(conn: &Connection, project: &ProjectId) -> Result<i64, Error> {
    conn.prepare_cached(
        "SELECT coalesce(max(position), 0) + 1 FROM attribute_defs WHERE project_id = ?1",
    )
    .and_then(|mut st| st.query_row([project.as_str()], |r| r.get(0)))
    .map_err(failed("find the last attribute definition"))
}

/// Insert a definition at `position`.
pub(crate) fn insert_attribute(
    conn: &Connection,
    project: &ProjectId,
    position: i64,
    d: &AttributeDef,
) -> Result<(), Error> {
    let options = stored_options(d);
    conn.prepare_cached(
        "INSERT INTO attribute_defs (project_id, name, type_code, display_name, options, \
           default_value, view_permissions, edit_permissions, required, position) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut st| {
        st.execute(params![
            project.as_str(),
            d.name.as_str(),
            d.kind.code(),
            d.display_name,
            to_json(&options),
            to_json(&d.default_value),
            to_json(&d.view_permissions),
            to_json(&d.edit_permissions),
            d.required,
            position,
        ])
    })
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::already_exists(format!(
                "name: custom attribute {:?} already exists",
                d.name.as_str()
            ))
        } else {
            failed("create attribute")(e)
        }
    })?;
    Ok(())
}

/// A definition's parts that may change, written over the stored ones.
fn rewrite_attribute(
    conn: &Connection,
    project: &ProjectId,
    d: &AttributeDef,
) -> Result<(), Error> {
    let options = stored_options(d);
    conn.prepare_cached(
        "UPDATE attribute_defs SET display_name = ?3, options = ?4, default_value = ?5, \
           view_permissions = ?6, edit_permissions = ?7, required = ?8 \
         WHERE project_id = ?1 AND name = ?2",
    )
    .and_then(|mut st| {
        st.execute(params![
            project.as_str(),
            d.name.as_str(),
            d.display_name,
            to_json(&options),
            to_json(&d.default_value),
            to_json(&d.view_permissions),
            to_json(&d.edit_permissions),
            d.required,
        ])
    })
    .map_err(failed("update attribute"))?;
    Ok(())
}

/// The values of attribute `name` that users of the project hold outside `allowed`
/// (ten at most, in order), and how many users hold one. A list value counts by its
/// elements.
fn held_outside(
    conn: &Connection,
    project: &ProjectId,
    name: &str,
    allowed: &[String],
) -> Result<(Vec<String>, u64), Error> {
    // json_each of a path yields the array's elements, or the value itself.
    let (values, users): (String, i64) = conn
        .prepare_cached(
            "WITH held AS (SELECT u.pk, e.value AS v FROM users u, \
               json_each(u.custom_attributes, ?2) e \
               WHERE u.project_id = ?1 AND e.value NOT IN (SELECT value FROM json_each(?3))) \
             SELECT (SELECT json_group_array(v) FROM (SELECT DISTINCT CAST(v AS TEXT) AS v \
                       FROM held ORDER BY v LIMIT 10)), \
                    (SELECT count(DISTINCT pk) FROM held)",
        )
        .and_then(|mut st| {
            st.query_row(
                params![project.as_str(), format!("$.\"{name}\""), to_json(&allowed)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .map_err(failed("find attribute values"))?;
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
        self.db
            .write(|tx| {
                for (position, d) in (next_position(tx, project)?..).zip(defs) {
                    insert_attribute(tx, project, position, d)?;
                }
                let records: Vec<_> = defs
                    .iter()
                    .map(|d| records::attribute_created(origin, d))
                    .collect();
                audit::insert(tx, project, origin, &records)
            })
            .await
    }

    async fn update_attributes(
        &self,
        project: &ProjectId,
        defs: &[AttributeDef],
        origin: &Origin,
    ) -> Result<(), Error> {
        self.db
            .write(|tx| {
                let stored = load_attributes(tx, project)?;
                let mut records = Vec::with_capacity(defs.len());
                for (i, (old, d)) in revisions(&stored, defs)?.into_iter().zip(defs).enumerate() {
                    if d.limits_values() {
                        let (values, users) =
                            held_outside(tx, project, d.name.as_str(), &d.option_values())?;
                        if users > 0 {
                            let field = format!("attributes[{i}]");
                            return Err(options_in_use(&field, d.name.as_str(), &values, users));
                        }
                    }
                    rewrite_attribute(tx, project, d)?;
                    records.push(records::attribute_modified(origin, old, d));
                }
                audit::insert(tx, project, origin, &records)
            })
            .await
    }

    async fn delete_attributes(
        &self,
        project: &ProjectId,
        names: &[String],
        origin: &Origin,
    ) -> Result<(), Error> {
        self.db
            .write(|tx| {
                let gone: Vec<String> = tx
                    .prepare_cached(
                        "DELETE FROM attribute_defs WHERE project_id = ?1 \
                         AND name IN (SELECT value FROM json_each(?2)) RETURNING name",
                    )
                    .and_then(|mut st| {
                        st.query_map(params![project.as_str(), to_json(&names)], |r| r.get(0))?
                            .collect()
                    })
                    .map_err(failed("delete attributes"))?;
                let records: Vec<_> = gone
                    .iter()
                    .map(|name| records::attribute_deleted(origin, name))
                    .collect();
                // The users holding a value of a deleted attribute: each is recorded with
                // the values it loses, before they go, then changes once.
                let changed: Vec<i64> = tx
                    .prepare_cached(
                        "SELECT pk FROM users WHERE project_id = ?1 AND EXISTS (SELECT 1 \
                           FROM json_each(custom_attributes) j \
                           WHERE j.key IN (SELECT value FROM json_each(?2)))",
                    )
                    .and_then(|mut st| {
                        st.query_map(params![project.as_str(), to_json(&gone)], |r| r.get(0))?
                            .collect()
                    })
                    .map_err(failed("find attribute values"))?;
                let record = records::cascade(
                    origin,
                    actions::USER_MODIFIED,
                    actions::ATTRIBUTE_DELETED,
                    &[],
                    json!({"deletedAttributes": gone}),
                );
                audit::stamp_users(tx, origin, &record, &changed, &gone)?;
                let mut remove = tx
                    .prepare_cached(
                        "UPDATE users SET custom_attributes = json_remove(custom_attributes, ?2) \
                         WHERE project_id = ?1 AND json_type(custom_attributes, ?2) IS NOT NULL",
                    )
                    .map_err(failed("remove attribute values"))?;
                for name in &gone {
                    remove
                        .execute(params![project.as_str(), format!("$.\"{name}\"")])
                        .map_err(failed("remove attribute values"))?;
                }
                drop(remove);
                users::move_versions(tx, origin.now, &changed)?;
                audit::insert(tx, project, origin, &records)
            })
            .await
    }

    async fn all_attributes(&self, project: &ProjectId) -> Result<Vec<AttributeDef>, Error> {
        self.db.read(|conn| load_attributes(conn, project)).await
    }
}
