//! The batch transaction: a user batch's catalog, load, writes and audit records, all
//! in one write transaction on the writer connection, run on the calling thread (the
//! flows of `roster_store` put it on a thread of its own).

use std::collections::HashMap;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::audit::AuditRecord;
use roster_domain::catalog::Catalog;
use roster_domain::ids::{ProjectId, UserId};
use roster_domain::patch::UserChange;
use roster_domain::user::User;
use roster_store::UserTx;
use rusqlite::params;

use crate::db::{WriteTx, failed};
use crate::user_sets::{self, Named};
use crate::users::load_catalog;
use crate::{audit, to_json, user_writes};

/// What a batch loads: the catalog when asked for, its users, and the owners of the
/// login IDs it mentions.
type Loaded = (Option<Catalog>, Vec<User>, Vec<(String, UserId)>);

/// The write transaction of a user batch (`BEGIN IMMEDIATE`: the write lock is held
/// from the first statement, so what it loads cannot change under it).
pub(crate) struct SqliteUserTx {
    tx: WriteTx,
    project: ProjectId,
    /// `user ID -> pk` of the users this transaction loaded, so that writing them back
    /// finds each row by its integer key.
    loaded: HashMap<String, i64>,
}

impl SqliteUserTx {
    pub(crate) fn new(tx: WriteTx, project: ProjectId) -> Self {
        Self {
            tx,
            project,
            loaded: HashMap::new(),
        }
    }

    /// The users `selectors` name (with `catalog`, the catalog too) and the owner of
    /// each of `login_ids` that has one. The pks of the users loaded are kept; a user
    /// loaded by an earlier call of this transaction is held once.
    fn load(
        &mut self,
        selectors: &[&str],
        login_ids: &[&str],
        catalog: bool,
    ) -> Result<Loaded, Error> {
        let (catalog, loaded) = user_sets::read(
            &self.tx,
            &self.project,
            Named::Selectors(selectors),
            catalog,
        )?;
        let mut users = Vec::with_capacity(loaded.len());
        for (pk, user) in loaded {
            if self
                .loaded
                .insert(user.id.as_str().to_string(), pk)
                .is_none()
            {
                users.push(user);
            }
        }
        Ok((catalog, users, self.owners(login_ids)?))
    }

    /// The owner of each of `login_ids` that has one.
    fn owners(&self, login_ids: &[&str]) -> Result<Vec<(String, UserId)>, Error> {
        if login_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.tx
            .prepare_cached(
                "SELECT l.login_id, u.id FROM user_login_ids l JOIN users u ON u.pk = l.user_pk \
                 WHERE l.project_id = ?1 AND l.login_id IN (SELECT value FROM json_each(?2))",
            )
            .and_then(|mut st| {
                st.query_map(params![self.project.as_str(), to_json(&login_ids)], |r| {
                    Ok((r.get(0)?, UserId::from_stored(r.get(1)?)))
                })?
                .collect()
            })
            .map_err(failed("load login ID owners"))
    }
}

impl std::fmt::Debug for SqliteUserTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteUserTx")
            .field("project", &self.project)
            .finish()
    }
}

#[async_trait]
impl UserTx for SqliteUserTx {
    async fn catalog(&mut self) -> Result<Catalog, Error> {
        load_catalog(&self.tx, &self.project)
    }

    async fn load_for_batch(
        &mut self,
        selectors: &[&str],
        login_ids: &[&str],
    ) -> Result<(Vec<User>, Vec<(String, UserId)>), Error> {
        let (_, users, owners) = self.load(selectors, login_ids, false)?;
        Ok((users, owners))
    }

    async fn catalog_and_users(
        &mut self,
        selectors: &[&str],
        login_ids: &[&str],
    ) -> Result<(Catalog, Vec<User>, Vec<(String, UserId)>), Error> {
        let (catalog, users, owners) = self.load(selectors, login_ids, true)?;
        let catalog = match catalog {
            Some(catalog) => catalog,
            None => load_catalog(&self.tx, &self.project)?,
        };
        Ok((catalog, users, owners))
    }

    async fn write(&mut self, changes: &[UserChange], catalog: &Catalog) -> Result<(), Error> {
        user_writes::write_changes(&self.tx, &self.project, changes, catalog, &self.loaded)
    }

    async fn record(&mut self, records: &[AuditRecord]) -> Result<(), Error> {
        audit::write(&self.tx, &self.project, records)
    }

    async fn commit(self: Box<Self>) -> Result<(), Error> {
        self.tx.commit()
    }
}
