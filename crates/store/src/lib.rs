//! The storage boundary: what Roster asks of a database, as traits, and the flows that
//! only need those traits.
//!
//! A backend (SQLite, PostgreSQL) implements [`Store`], which is the sum of small
//! capability traits, one per resource. Backends only load and write: the rules (what a
//! patch does, what creation checks) live in `roster-domain`, and the flows that string
//! loading, the rules and writing together live here, once: [`batch`] for user batches,
//! [`group`] for single patches committed together, [`copy`] for moving a whole store
//! between backends. What both SQL backends build alike is here too: [`sql`] (pieces of
//! SQL text, key lookups), [`user_columns`] (a user row's data columns, and which
//! of them a change touched, so that an update sets only those), [`catalog_json`]
//! (a project's catalog as JSON arrays, selected in one statement) and
//! [`catalog_cache`] (catalogs kept between requests while their project's catalog
//! version stays). Every backend must pass the same [`conformance`] suite.
//!
//! Errors are the domain's [`Error`]: a backend maps its constraint violations to
//! [`ErrorCode::AlreadyExists`](roster_domain::ErrorCode::AlreadyExists) and the like,
//! a transaction that lost a race with another writer to
//! [`Error::write_conflict`] (the flows run it again), and anything unexpected to
//! [`Error::internal`], after logging the cause.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use roster_domain::Error;
use roster_domain::attribute::AttributeDef;
use roster_domain::audit::records::KeyFacts;
use roster_domain::audit::{AuditQuery, AuditRecord, Origin};
use roster_domain::catalog::Catalog;
use roster_domain::ids::{KeyId, PermissionId, ProjectId, RoleId, TenantId, UserId};
use roster_domain::keys::{IpRange, KeyHash};
use roster_domain::names::{Label, PermissionName};
use roster_domain::patch::UserChange;
use roster_domain::permission::{Permission, PermissionRef, PermissionUpdate};
use roster_domain::role::{Role, RoleRef, RoleSpec, RoleUpdate};
use roster_domain::search::UserQuery;
use roster_domain::tenant::{Tenant, TenantChange, TenantSpec};
use roster_domain::time::Millis;
use roster_domain::user::User;

use crate::catalog_cache::CatalogCache;

pub mod auth;
pub mod batch;
pub mod catalog_cache;
pub mod catalog_json;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod copy;
pub mod group;
pub mod sql;
pub mod user_columns;

pub type Result<T> = std::result::Result<T, Error>;

/// A management key as stored: never the secret, only its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub id: KeyId,
    pub name: String,
    pub hash: KeyHash,
    pub created: Millis,
    pub expires: Option<Millis>,
    pub revoked: Option<Millis>,
    /// The key reads everything and changes nothing.
    pub read_only: bool,
    /// Where the key may be used from; empty: from anywhere.
    pub permitted_ips: Vec<IpRange>,
    pub description: String,
    /// An inactive key is refused until it is made active again (revocation is final).
    pub active: bool,
    /// The roles the key was made with through the API (Descope's `reBac`), as given.
    pub rebac: serde_json::Map<String, serde_json::Value>,
}

impl StoredKey {
    /// A new active key with nothing but a name: read-write, from anywhere, never
    /// expiring.
    pub fn new(id: KeyId, name: String, hash: KeyHash, created: Millis) -> Self {
        StoredKey {
            id,
            name,
            hash,
            created,
            expires: None,
            revoked: None,
            read_only: false,
            permitted_ips: Vec::new(),
            description: String::new(),
            active: true,
            rebac: serde_json::Map::new(),
        }
    }

    /// What an audit record shows of the key: never its digest.
    pub fn facts(&self) -> KeyFacts<'_> {
        KeyFacts {
            id: &self.id,
            name: &self.name,
            read_only: self.read_only,
            expires: self.expires.map(|e| e.0),
            permitted_ips: self.permitted_ips.iter().map(ToString::to_string).collect(),
            active: self.active,
        }
    }
}

/// What `PATCH /v1/mgmt/managementkey` changes of a key: all of it (Descope's update
/// replaces every field it carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUpdate {
    pub name: String,
    pub description: String,
    pub permitted_ips: Vec<IpRange>,
    pub active: bool,
}

/// A project's keys as a request's key check reads them: with the version its catalog
/// had in the same snapshot, so that a request which shows users renders them with the
/// catalog kept at that version and reads nothing more of it
/// ([`UserStore::catalog_seen`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRing {
    /// Revoked and expired keys included, oldest first.
    pub keys: Vec<StoredKey>,
    /// The project's `catalog_version` ([`catalog_cache`]); none when it has no key (or
    /// there is no such project).
    pub catalog_version: Option<i64>,
}

/// A project as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: ProjectId,
    pub name: Label,
    pub created: Millis,
}

/// Projects and their management keys.
#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Create a project; [`ErrorCode::AlreadyExists`](roster_domain::ErrorCode) if the ID
    /// is taken.
    async fn create_project(&self, id: &ProjectId, name: &Label, now: Millis) -> Result<()>;
    /// Create the project unless it exists. Returns whether it was created.
    async fn ensure_project(&self, id: &ProjectId, name: &Label, now: Millis) -> Result<bool>;
    async fn project_exists(&self, id: &ProjectId) -> Result<bool>;
    /// Whether the store holds any project at all (first start).
    async fn has_projects(&self) -> Result<bool>;
    /// The first start of a store: if it holds no project, create `project` with `key`,
    /// in one transaction that no other first start (another node starting on the same
    /// empty database) can interleave with. Returns whether it did.
    async fn create_first_project(
        &self,
        project: &Project,
        key: &StoredKey,
        origin: &Origin,
    ) -> Result<bool>;
    /// Add a key to a project ([`ErrorCode::ProjectNotFound`](roster_domain::ErrorCode)
    /// if there is no such project). Adding a key whose digest is already stored for
    /// this project does nothing and returns `false`.
    async fn add_key(&self, project: &ProjectId, key: &StoredKey, origin: &Origin) -> Result<bool>;
    /// The project's keys, revoked and expired ones included.
    async fn keys(&self, project: &ProjectId) -> Result<Vec<StoredKey>> {
        Ok(self.key_ring(project).await?.keys)
    }
    /// The project's keys and its catalog's version, read in one statement: what every
    /// request's key check reads ([`auth::authenticate`]).
    async fn key_ring(&self, project: &ProjectId) -> Result<KeyRing>;
    /// Revoke a key; `false` if the project has no such key.
    async fn revoke_key(&self, project: &ProjectId, key: &KeyId, origin: &Origin) -> Result<bool>;
    /// Change a key's name, description, permitted addresses and status; the key as it
    /// now stands, or `None` when the project has no such key.
    async fn update_key(
        &self,
        project: &ProjectId,
        key: &KeyId,
        update: &KeyUpdate,
        origin: &Origin,
    ) -> Result<Option<StoredKey>>;
    /// Delete keys for good; how many there were.
    async fn delete_keys(
        &self,
        project: &ProjectId,
        keys: &[KeyId],
        origin: &Origin,
    ) -> Result<u64>;
}

/// How a single-user request names its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSelector<'a> {
    /// A login ID, else a user ID (what `loginId` means everywhere).
    LoginOrUserId(&'a str),
    /// A user ID only (`userId`).
    UserId(&'a str),
}

/// Users: reads outside any transaction, writes through a [`UserTx`].
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Start the one write transaction of a user batch. Concurrent writers of the same
    /// project (or of the same database) wait for each other: what a transaction loads
    /// cannot change until it commits.
    async fn begin_users(&self, project: &ProjectId) -> Result<Box<dyn UserTx>>;
    /// Whether a [`UserTx`] of this store does its work on the calling thread (SQLite
    /// uses its writer connection in place): the flows then run each transaction on a
    /// thread of their own, never on an async worker that other tasks wait for.
    fn writes_in_place(&self) -> bool {
        false
    }
    /// A patch batch's inputs read ahead of its write transaction, where writers of this
    /// store wait for each other (SQLite's one writer): the batch applies its rules to
    /// them while another batch still writes, and under the write lock only checks that
    /// nothing it read has changed ([`UserTx::unchanged`]). `None` where the backend
    /// does not (PostgreSQL, whose writers of different users do not wait for each
    /// other, and an in-memory SQLite store, whose reads wait for the writer anyway).
    async fn read_ahead(
        &self,
        _project: &ProjectId,
        _selectors: &[&str],
        _login_ids: &[&str],
    ) -> Result<Option<ReadAhead>> {
        Ok(None)
    }
    /// The project's roles, tenants and attribute definitions (kept between calls while
    /// they do not change: [`catalog_cache`]).
    async fn catalog(&self, project: &ProjectId) -> Result<Arc<Catalog>>;
    /// The catalogs this store keeps, if it keeps any.
    fn kept_catalogs(&self) -> Option<&CatalogCache> {
        None
    }
    /// The project's catalog for a request whose key check saw its version `seen`
    /// ([`auth::Access::catalog_version`]): the catalog kept at that version, which was
    /// the project's catalog when the request began, without reading anything; else,
    /// when none is kept at it, [`UserStore::catalog`]. A change of the catalog
    /// acknowledged before the request began is always seen.
    async fn catalog_seen(&self, project: &ProjectId, seen: Option<i64>) -> Result<Arc<Catalog>> {
        let kept = seen.zip(self.kept_catalogs());
        if let Some(catalog) = kept.and_then(|(v, cache)| cache.get(project, v)) {
            return Ok(catalog);
        }
        self.catalog(project).await
    }
    async fn load_user(
        &self,
        project: &ProjectId,
        selector: UserSelector<'_>,
    ) -> Result<Option<User>>;
    /// Users by user ID, in no particular order; unknown IDs are skipped.
    async fn load_users(&self, project: &ProjectId, ids: &[String]) -> Result<Vec<User>>;
    /// One page of users matching the query, and how many match in all. A search that
    /// runs longer than `timeout` is stopped and fails with
    /// [`ErrorCode::RequestTimeout`](roster_domain::ErrorCode::RequestTimeout).
    async fn search_users(
        &self,
        project: &ProjectId,
        query: &UserQuery,
        timeout: Duration,
    ) -> Result<(Vec<User>, u64)>;
    /// Delete one user; `false` if there was none.
    async fn delete_user(
        &self,
        project: &ProjectId,
        selector: UserSelector<'_>,
        origin: &Origin,
    ) -> Result<bool>;
    /// Delete users by user ID; returns how many existed.
    async fn delete_users(
        &self,
        project: &ProjectId,
        ids: &[String],
        origin: &Origin,
    ) -> Result<u64>;
    /// Delete every test user; returns how many there were.
    async fn delete_test_users(&self, project: &ProjectId, origin: &Origin) -> Result<u64>;
}

/// What a patch batch reads before its write transaction ([`UserStore::read_ahead`]):
/// the project's catalog, every user its selectors name, and the owner of each login ID
/// it mentions, as [`UserTx::catalog`] and [`UserTx::load_for_batch`] give them.
#[derive(Debug, Clone)]
pub struct ReadAhead {
    pub catalog: Arc<Catalog>,
    pub users: Vec<User>,
    /// Each user's row key in the store (its `pk`), in the order of `users`: the check
    /// and the writes find the rows by it.
    pub keys: Vec<i64>,
    pub owners: Vec<(String, UserId)>,
}

/// What a batch's rules ran on, to check under the write lock that nothing of it has
/// changed ([`UserTx::unchanged`]).
#[derive(Debug, Clone)]
pub struct Seen {
    pub catalog: Arc<Catalog>,
    /// Each user read: its row key and ID, at the version read.
    pub users: Vec<(i64, UserId, i64)>,
    /// The selectors that named a user by its user ID. A selector that named a user by
    /// a login ID the user holds names the same user as long as the user is unchanged
    /// (no other user of the project can hold that login ID); one that named a user by
    /// its ID names another from the moment some user holds it as a login ID (a login
    /// ID wins).
    pub by_id: Vec<String>,
    /// The selectors that named nobody: each names someone from the moment a user holds
    /// it as a login ID or an ID.
    pub nobody: Vec<String>,
    pub owners: Vec<(String, UserId)>,
}

impl ReadAhead {
    /// What the rules will run on for these selectors, before they take the users.
    pub fn seen(&self, selectors: &[&str]) -> Seen {
        let logins: std::collections::HashSet<&str> = self
            .users
            .iter()
            .flat_map(|u| u.login_ids.iter().map(|l| l.as_str()))
            .collect();
        let ids: std::collections::HashSet<&str> =
            self.users.iter().map(|u| u.id.as_str()).collect();
        let (mut by_id, mut nobody) = (Vec::new(), Vec::new());
        for &s in selectors {
            if logins.contains(s) {
                continue;
            }
            if ids.contains(s) {
                by_id.push(s.to_string());
            } else {
                nobody.push(s.to_string());
            }
        }
        Seen {
            catalog: self.catalog.clone(),
            users: self
                .keys
                .iter()
                .zip(&self.users)
                .map(|(pk, u)| (*pk, u.id.clone(), u.version))
                .collect(),
            by_id,
            nobody,
            owners: self.owners.clone(),
        }
    }
}

/// The write transaction of a user batch. Dropping it without [`UserTx::commit`] rolls
/// everything back.
#[async_trait]
pub trait UserTx: Send {
    async fn catalog(&mut self) -> Result<Arc<Catalog>>;
    /// Load, in one round trip where the engine allows, every user a selector names (by
    /// login ID or user ID), and the owner of each of `login_ids`.
    async fn load_for_batch(
        &mut self,
        selectors: &[&str],
        login_ids: &[&str],
    ) -> Result<(Vec<User>, Vec<(String, UserId)>)>;
    /// Whether what `seen` says a batch read ahead ([`UserStore::read_ahead`]) for these
    /// login IDs is still what the store holds: the same catalog, the same users (each
    /// at the version read), the selectors naming the same users ([`Seen::by_id`],
    /// [`Seen::nobody`]), and the same owner of each login ID. If so, the users are this
    /// transaction's, to write as if it had loaded them ([`UserTx::load_for_batch`]). A
    /// backend that reads nothing ahead keeps the default: never.
    async fn unchanged(&mut self, _login_ids: &[&str], _seen: &Seen) -> Result<bool> {
        Ok(false)
    }
    /// Write the changed and created users: set-based, a fixed number of statements
    /// whatever the number of users. Role names are mapped to IDs with `catalog`.
    async fn write(&mut self, changes: &[UserChange], catalog: &Catalog) -> Result<()>;
    /// Write the batch's audit records: set-based, like the users.
    async fn record(&mut self, records: &[AuditRecord]) -> Result<()>;
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// Tenants. Deleting a tenant removes its roles and every membership of it.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// [`ErrorCode::AlreadyExists`](roster_domain::ErrorCode) when the ID or the name is
    /// taken; a validation error when the parent does not exist.
    async fn create_tenant(
        &self,
        project: &ProjectId,
        id: &TenantId,
        spec: &TenantSpec,
        origin: &Origin,
    ) -> Result<()>;
    /// Change a tenant's fields (never its parent) in one transaction: `change` is
    /// applied to the fields as they stand under the write lock, so concurrent changes
    /// of one tenant are never lost.
    async fn update_tenant(
        &self,
        project: &ProjectId,
        id: &TenantId,
        change: &TenantChange,
        origin: &Origin,
    ) -> Result<()>;
    /// Delete a tenant. With `cascade`, users whose only tenant it was are deleted too.
    /// Every other member changes (it leaves the tenant): its `version` moves by one and
    /// its `modifiedTime` becomes the origin's time, in the same transaction, and each
    /// user changed or deleted gets an audit record.
    async fn delete_tenant(
        &self,
        project: &ProjectId,
        id: &TenantId,
        cascade: bool,
        origin: &Origin,
    ) -> Result<()>;
    async fn load_tenant(&self, project: &ProjectId, id: &TenantId) -> Result<Option<Tenant>>;
    async fn all_tenants(&self, project: &ProjectId) -> Result<Vec<Tenant>>;
}

/// Roles. Each call is one transaction: a batch is created, changed or deleted whole.
#[async_trait]
pub trait RoleStore: Send + Sync {
    async fn create_roles(
        &self,
        project: &ProjectId,
        roles: &[(RoleId, RoleSpec)],
        origin: &Origin,
    ) -> Result<()>;
    /// Renaming a role changes every user that holds it (at project level or in a
    /// tenant): their `version` moves by one and `modifiedTime` becomes the origin's
    /// time, and each gets an audit record.
    async fn update_roles(
        &self,
        project: &ProjectId,
        updates: &[RoleUpdate],
        origin: &Origin,
    ) -> Result<()>;
    /// With `missing_ok` false, a role that does not exist fails the whole call. Every
    /// user that held a deleted role changes as a rename changes it.
    async fn delete_roles(
        &self,
        project: &ProjectId,
        roles: &[RoleRef],
        missing_ok: bool,
        origin: &Origin,
    ) -> Result<()>;
    async fn all_roles(&self, project: &ProjectId) -> Result<Vec<Role>>;
}

/// Permissions. Each call is one transaction.
#[async_trait]
pub trait PermissionStore: Send + Sync {
    async fn create_permissions(
        &self,
        project: &ProjectId,
        permissions: &[(PermissionId, PermissionName, String)],
        origin: &Origin,
    ) -> Result<()>;
    async fn update_permissions(
        &self,
        project: &ProjectId,
        updates: &[PermissionUpdate],
        origin: &Origin,
    ) -> Result<()>;
    async fn delete_permissions(
        &self,
        project: &ProjectId,
        permissions: &[PermissionRef],
        missing_ok: bool,
        origin: &Origin,
    ) -> Result<()>;
    async fn all_permissions(&self, project: &ProjectId) -> Result<Vec<Permission>>;
}

/// Custom attribute definitions. Deleting one removes its values from every user.
#[async_trait]
pub trait AttributeStore: Send + Sync {
    async fn create_attributes(
        &self,
        project: &ProjectId,
        defs: &[AttributeDef],
        origin: &Origin,
    ) -> Result<()>;
    /// Replace definitions by name (all or none), through
    /// [`revisions`](roster_domain::attribute::revisions): the
    /// type stays; a definition that limits its values to its options is refused
    /// ([`options_in_use`](roster_domain::attribute::options_in_use)) while a user holds
    /// a value the new options leave out. No user changes.
    async fn update_attributes(
        &self,
        project: &ProjectId,
        defs: &[AttributeDef],
        origin: &Origin,
    ) -> Result<()>;
    /// Deleting a definition removes its values from every user; each user that had one
    /// changes once (`version` by one, `modifiedTime` to the origin's time, one audit
    /// record), however many of the deleted attributes it had.
    async fn delete_attributes(
        &self,
        project: &ProjectId,
        names: &[String],
        origin: &Origin,
    ) -> Result<()>;
    async fn all_attributes(&self, project: &ProjectId) -> Result<Vec<AttributeDef>>;
}

/// The audit trail. The records of a change are written by the store method that makes
/// the change, in its transaction; this trait reads them, writes an application's own
/// events, and prunes old records.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Write records that record no change of Roster's (an application's events).
    async fn record(&self, project: &ProjectId, records: &[AuditRecord]) -> Result<()>;
    /// One page of the records matching the query, newest first, and how many match in
    /// all. A search that runs longer than `timeout` fails with
    /// [`ErrorCode::RequestTimeout`](roster_domain::ErrorCode::RequestTimeout).
    async fn search_audit(
        &self,
        project: &ProjectId,
        query: &AuditQuery,
        timeout: Duration,
    ) -> Result<(Vec<AuditRecord>, u64)>;
    /// Delete at most `limit` records older than `before`, of any project, in short
    /// transactions that writers do not wait long for; how many were deleted.
    async fn prune_audit(&self, before: Millis, limit: u32) -> Result<u64>;
}

/// Every table a store has, in the order a copy fills them. Both backends have these
/// tables under these names; [`ExportTx::counts`] and [`ImportTx::counts`] count them.
pub const TABLES: &[&str] = &[
    "projects",
    "management_keys",
    "permissions",
    "tenants",
    "roles",
    "role_permissions",
    "attribute_defs",
    "users",
    "user_login_ids",
    "user_roles",
    "user_tenants",
    "user_tenant_roles",
    "audit_records",
];

/// Rows in one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub rows: u64,
}

/// A page of users for a copy: each with its project, and where the next page starts.
#[derive(Debug, Clone, Default)]
pub struct UserPage {
    pub users: Vec<(ProjectId, User)>,
    /// The position to pass as `after` for the next page; `None` after the last.
    pub next: Option<i64>,
}

/// A page of audit records for a copy, oldest first, each with its project, and where
/// the next page starts.
#[derive(Debug, Clone, Default)]
pub struct AuditPage {
    pub records: Vec<(ProjectId, AuditRecord)>,
    /// The position to pass as `after` for the next page; `None` after the last.
    pub next: Option<i64>,
}

/// Reading and writing a whole store, for `roster copy`. Each side is one transaction:
/// the export reads a consistent snapshot, and the import commits all or nothing.
#[async_trait]
pub trait CopyStore: Send + Sync {
    async fn begin_export(&self) -> Result<Box<dyn ExportTx>>;
    /// Start the import. Until it ends, no other writer can add a project, so a store
    /// that [`ImportTx::counts`] finds empty stays empty but for the import.
    async fn begin_import(&self) -> Result<Box<dyn ImportTx>>;
}

/// A read-only snapshot of a whole store.
#[async_trait]
pub trait ExportTx: Send {
    /// Rows in each of [`TABLES`].
    async fn counts(&mut self) -> Result<Vec<TableCount>>;
    async fn projects(&mut self) -> Result<Vec<Project>>;
    async fn keys(&mut self, project: &ProjectId) -> Result<Vec<StoredKey>>;
    /// In the order they were created.
    async fn permissions(&mut self, project: &ProjectId) -> Result<Vec<Permission>>;
    /// In creation order, so that a parent comes before its children.
    async fn tenants(&mut self, project: &ProjectId) -> Result<Vec<Tenant>>;
    async fn roles(&mut self, project: &ProjectId) -> Result<Vec<Role>>;
    async fn attributes(&mut self, project: &ProjectId) -> Result<Vec<AttributeDef>>;
    /// Users of every project in the order they were stored, at most `limit` of them,
    /// starting after position `after` (`None`: from the first).
    async fn users(&mut self, after: Option<i64>, limit: u32) -> Result<UserPage>;
    /// Audit records of every project in the order they were written, at most `limit`
    /// of them, starting after position `after` (`None`: from the first).
    async fn audit(&mut self, after: Option<i64>, limit: u32) -> Result<AuditPage>;
}

/// The one write transaction of an import. Everything is written as given: IDs, times,
/// versions, key digests. Dropping it without [`ImportTx::commit`] leaves the store as
/// it was (empty).
#[async_trait]
pub trait ImportTx: Send {
    /// Rows in each of [`TABLES`], as this transaction sees them.
    async fn counts(&mut self) -> Result<Vec<TableCount>>;
    async fn project(&mut self, project: &Project) -> Result<()>;
    async fn keys(&mut self, project: &ProjectId, keys: &[StoredKey]) -> Result<()>;
    async fn permissions(&mut self, project: &ProjectId, permissions: &[Permission]) -> Result<()>;
    /// Parents before children, as [`ExportTx::tenants`] gives them.
    async fn tenants(&mut self, project: &ProjectId, tenants: &[Tenant]) -> Result<()>;
    /// After the project's tenants and permissions.
    async fn roles(&mut self, project: &ProjectId, roles: &[Role]) -> Result<()>;
    async fn attributes(&mut self, project: &ProjectId, defs: &[AttributeDef]) -> Result<()>;
    /// After the project's catalog; users keep their order.
    async fn users(&mut self, project: &ProjectId, users: &[User]) -> Result<()>;
    /// Audit records as given, in the order given.
    async fn audit(&mut self, project: &ProjectId, records: &[AuditRecord]) -> Result<()>;
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// A whole backend.
#[async_trait]
pub trait Store:
    ProjectStore
    + UserStore
    + TenantStore
    + RoleStore
    + PermissionStore
    + AttributeStore
    + AuditStore
    + CopyStore
    + std::fmt::Debug
{
    /// Whether the database answers (readiness).
    async fn ping(&self) -> Result<()>;
    /// A short name for logs: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}
