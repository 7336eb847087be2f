//! The batch transaction: a user batch's catalog, load, writes and audit records, all
//! in one write transaction on the writer connection.

use std::collections::HashMap;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::audit::AuditRecord;
use roster_domain::catalog::Catalog;
use roster_domain::ids::{ProjectId, UserId};
use roster_domain::patch::UserChange;
use roster_domain::user::User;
use roster_store::UserTx;
use sqlx::{Sqlite, Transaction};

use crate::user_sets::{self, Named};
use crate::user_writes::write_changes;
use crate::users::load_catalog;
use crate::{audit, internal, to_json};

/// The write transaction of a user batch (`BEGIN IMMEDIATE`: the write lock is held
/// from the first statement, so what it loads cannot change under it).
pub(crate) struct SqliteUserTx {
    tx: Transaction<'static, Sqlite>,
    project: ProjectId,
    /// `user ID -> pk` of the users this transaction loaded, so that writing them back
    /// finds each row by its integer key.
    loaded: HashMap<String, i64>,
}

impl SqliteUserTx {
    pub(crate) fn new(tx: Transaction<'static, Sqlite>, project: ProjectId) -> Self {
        Self {
            tx,
            project,
            loaded: HashMap::new(),
        }
    }

    /// Keep the pks of the users loaded; a user loaded by an earlier call of this
    /// transaction is held once.
    fn hold(&mut self, loaded: Vec<(i64, User)>) -> Vec<User> {
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
        users
    }

    /// The owner of each of `login_ids` that has one.
    async fn owners(&mut self, login_ids: &[&str]) -> Result<Vec<(String, UserId)>, Error> {
        if login_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT l.login_id, u.id AS user_id FROM user_login_ids l JOIN users u ON u.pk = l.user_pk \
             WHERE l.project_id = ?1 AND l.login_id IN (SELECT value FROM json_each(?2))",
        )
        .bind(self.project.as_str())
        .bind(to_json(&login_ids))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(internal("load login ID owners"))?;
        Ok(rows
            .into_iter()
            .map(|(login, user)| (login, UserId::from_stored(user)))
            .collect())
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
        load_catalog(&mut self.tx, &self.project).await
    }

    async fn load_for_batch(
        &mut self,
        selectors: &[&str],
        login_ids: &[&str],
    ) -> Result<(Vec<User>, Vec<(String, UserId)>), Error> {
        let loaded =
            user_sets::read(&mut self.tx, &self.project, Named::Selectors(selectors)).await?;
        let users = self.hold(loaded);
        Ok((users, self.owners(login_ids).await?))
    }

    async fn catalog_and_users(
        &mut self,
        selectors: &[&str],
        login_ids: &[&str],
    ) -> Result<(Catalog, Vec<User>, Vec<(String, UserId)>), Error> {
        let (catalog, loaded) =
            user_sets::read_with_catalog(&mut self.tx, &self.project, selectors).await?;
        let users = self.hold(loaded);
        Ok((catalog, users, self.owners(login_ids).await?))
    }

    async fn write(&mut self, changes: &[UserChange], catalog: &Catalog) -> Result<(), Error> {
        write_changes(&mut self.tx, &self.project, changes, catalog, &self.loaded).await
    }

    async fn record(&mut self, records: &[AuditRecord]) -> Result<(), Error> {
        audit::write(&mut self.tx, &self.project, records).await
    }

    async fn commit(self: Box<Self>) -> Result<(), Error> {
        self.tx
            .commit()
            .await
            .map_err(internal("commit a user batch"))
    }
}
