//! The batch transaction: a user batch's catalog, load, writes and audit records, all
//! in one write transaction on the writer connection, run on the calling thread (the
//! flows of `roster_store` put it on a thread of its own).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::audit::AuditRecord;
use roster_domain::catalog::Catalog;
use roster_domain::ids::{ProjectId, UserId};
use roster_domain::patch::UserChange;
use roster_domain::user::User;
use roster_store::catalog_cache::CatalogCache;
use roster_store::{Seen, UserTx};

use crate::db::WriteTx;
use crate::user_sets::{self, Named};
use crate::users::load_catalog;
use crate::{audit, user_writes};

/// The write transaction of a user batch (`BEGIN IMMEDIATE`: the write lock is held
/// from the first statement, so what it loads cannot change under it).
pub(crate) struct SqliteUserTx {
    tx: WriteTx,
    project: ProjectId,
    catalogs: Arc<CatalogCache>,
    /// `user ID -> pk` of the users this transaction loaded, so that writing them back
    /// finds each row by its integer key.
    loaded: HashMap<String, i64>,
}

impl SqliteUserTx {
    pub(crate) fn new(tx: WriteTx, project: ProjectId, catalogs: Arc<CatalogCache>) -> Self {
        Self {
            tx,
            project,
            catalogs,
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
    async fn catalog(&mut self) -> Result<Arc<Catalog>, Error> {
        load_catalog(&self.tx, &self.project, &self.catalogs)
    }

    async fn load_for_batch(
        &mut self,
        selectors: &[&str],
        login_ids: &[&str],
    ) -> Result<(Vec<User>, Vec<(String, UserId)>), Error> {
        let loaded = user_sets::read(&self.tx, &self.project, Named::Selectors(selectors))?;
        let users = self.hold(loaded);
        Ok((
            users,
            user_sets::owners(&self.tx, &self.project, login_ids)?,
        ))
    }

    async fn unchanged(&mut self, login_ids: &[&str], seen: &Seen) -> Result<bool, Error> {
        let (tx, project) = (&self.tx, &self.project);
        let keys: Vec<i64> = seen.users.iter().map(|(pk, _, _)| *pk).collect();
        let now = user_sets::versions(tx, project, &keys)?;
        let same_users = now.len() == seen.users.len()
            && seen
                .users
                .iter()
                .all(|(pk, _, version)| now.get(pk) == Some(version));
        let by_id: Vec<&str> = seen.by_id.iter().map(String::as_str).collect();
        let nobody: Vec<&str> = seen.nobody.iter().map(String::as_str).collect();
        if !same_users
            || user_sets::taken(tx, project, &by_id, false)?
            || user_sets::taken(tx, project, &nobody, true)?
        {
            return Ok(false);
        }
        let mut owners = user_sets::owners(tx, project, login_ids)?;
        let mut seen_owners = seen.owners.clone();
        owners.sort();
        seen_owners.sort();
        let catalog = load_catalog(tx, project, &self.catalogs)?;
        if owners != seen_owners
            || !(Arc::ptr_eq(&catalog, &seen.catalog) || catalog == seen.catalog)
        {
            return Ok(false);
        }
        self.loaded = seen
            .users
            .iter()
            .map(|(pk, id, _)| (id.as_str().to_string(), *pk))
            .collect();
        Ok(true)
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
