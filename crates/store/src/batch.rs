//! The user-batch flows, written once over the traits: load, apply the domain's rules,
//! write, commit.
//!
//! Every backend gets the same behaviour for free; a backend only provides the steps of
//! a [`UserTx`](crate::UserTx). The audit records of a batch (one per user it created or
//! changed, built by the domain from the users before and after) are written in the
//! batch's transaction, set-based like the users. One batch is one transaction: the users it
//! targets are loaded in one query, the catalog once, the rules run in memory, and the
//! changes go back in a fixed number of set-based statements.
//!
//! A transaction that loses a race with another writer (PostgreSQL shared by several
//! nodes: a deadlock, a serialization failure, a login ID taken meanwhile) fails with
//! [`Error::write_conflict`]; the flow then runs again from the start, loading afresh, a
//! bounded number of times. Nothing of the failed attempt was written, and the rules
//! see the winner's changes on the next attempt (a login ID taken meanwhile fails its
//! item instead of the batch).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use roster_domain::Error;
use roster_domain::audit::{Origin, records};
use roster_domain::catalog::Catalog;
use roster_domain::create::NewUser;
use roster_domain::ids::{ProjectId, UserId};
use roster_domain::patch::{PatchItem, PatchOutcome, UserChange, Workspace, batch_lookups};
use roster_domain::user::User;

use crate::{Result, UserStore, UserTx};

/// Wall-clock time of each step of a batch, for the log line operators read.
#[allow(
    clippy::disallowed_methods,
    reason = "measures elapsed time for logs only; no rule reads it"
)]
fn stopwatch() -> Instant {
    Instant::now()
}

/// How long each step of a patch batch took in the store (of its last attempt), for
/// the log line and the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Steps {
    /// Waiting for the write transaction (another batch holding the write lock).
    pub wait: Duration,
    /// Checking, under the write lock, that what the batch read ahead has not changed
    /// ([`UserTx::unchanged`](crate::UserTx::unchanged)).
    pub check: Duration,
    /// Loading the project's catalog (read ahead: with the users).
    pub catalog: Duration,
    /// Loading the users the items name (read ahead of the write lock, or under it).
    pub load: Duration,
    /// Applying the rules.
    pub apply: Duration,
    /// Writing the changed users, and committing.
    pub write: Duration,
    /// Waiting for the audit records (to build and write them).
    pub audit: Duration,
}

/// What a patch batch did: one outcome per item, the catalog it saw (to show the
/// users), and how long its steps took.
#[derive(Debug)]
pub struct PatchedBatch {
    pub outcomes: Vec<PatchOutcome>,
    pub catalog: Arc<Catalog>,
    pub steps: Steps,
}

impl PatchedBatch {
    /// How many items patched their user (changed or not).
    pub fn patched(&self) -> usize {
        patched(&self.outcomes)
    }
}

fn patched(outcomes: &[PatchOutcome]) -> usize {
    outcomes
        .iter()
        .filter(|o| matches!(o, PatchOutcome::Patched(_)))
        .count()
}

/// Items from which a batch runs on a thread of its own.
const OWN_THREAD_ITEMS: usize = 64;

/// Items from which a batch reads ahead of the write lock ([`UserStore::read_ahead`]):
/// a small one holds the lock briefly anyway, and checking what it read costs about as
/// much as reading it.
const READ_AHEAD_ITEMS: usize = 64;

/// Run a transaction without holding an async worker when it would: a large batch's
/// (decoding thousands of rows, the rules, building the statements), or any of a store
/// whose transactions work on the calling thread
/// ([`UserStore::writes_in_place`]). On a multi-threaded runtime the worker hands its
/// other tasks to another thread first (`block_in_place`) and drives the work itself;
/// other work, and single-threaded runtimes (tests), run in place.
pub(crate) async fn on_own_thread<T>(
    store: &dyn UserStore,
    items: usize,
    work: impl Future<Output = T>,
) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h)
            if (items >= OWN_THREAD_ITEMS || store.writes_in_place())
                && h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread =>
        {
            tokio::task::block_in_place(move || h.block_on(work))
        }
        _ => work.await,
    }
}

/// Write the changed users and their audit records, in the transaction of `tx`; returns
/// how long the batch waited for its records (to build and to write them). A large
/// batch builds its records on a thread of its own while the users are written, so the
/// two overlap; a small one builds them in place.
async fn write_recorded(
    tx: &mut dyn UserTx,
    changes: &[UserChange],
    catalog: &Catalog,
    origin: &Origin,
) -> Result<Duration> {
    let building = if changes.len() >= OWN_THREAD_ITEMS && origin.audited {
        let (changes, origin) = (changes.to_vec(), origin.clone());
        Some(tokio::task::spawn_blocking(move || {
            records::batch(&origin, &changes)
        }))
    } else {
        None
    };
    tx.write(changes, catalog).await?;
    let written = stopwatch();
    let records = match building {
        Some(handle) => handle.await.map_err(|e| {
            tracing::error!(error = %e, "building a batch's audit records failed");
            Error::internal()
        })?,
        None => records::batch(origin, changes),
    };
    tx.record(&records).await?;
    Ok(written.elapsed())
}

/// Attempts a flow makes before it gives up on a run of write conflicts.
const ATTEMPTS: u32 = 12;

/// After a failed attempt: whether to run the transaction again (a write conflict with
/// attempts left), having waited a little longer after each conflict.
pub(crate) async fn again<T>(what: &'static str, outcome: &Result<T>, attempt: &mut u32) -> bool {
    match outcome {
        Err(e) if e.is_write_conflict() && *attempt < ATTEMPTS => {
            tracing::debug!(
                what,
                attempt = *attempt,
                "write conflict, running the transaction again"
            );
            tokio::time::sleep(Duration::from_millis((1u64 << (*attempt).min(6)).min(50))).await;
            *attempt += 1;
            true
        }
        Err(e) if e.is_write_conflict() => {
            tracing::warn!(
                what,
                attempts = *attempt,
                "write conflicts on every attempt; giving up"
            );
            false
        }
        _ => false,
    }
}

/// Apply a patch batch. Items apply in request order; each succeeds or fails whole.
pub async fn patch_users(
    store: &dyn UserStore,
    project: &ProjectId,
    items: &[PatchItem],
    origin: &Origin,
) -> Result<PatchedBatch> {
    on_own_thread(store, items.len(), async {
        let mut attempt = 1;
        loop {
            let outcome = patch_users_once(store, project, items, origin).await;
            if !again("patch batch", &outcome, &mut attempt).await {
                return outcome;
            }
        }
    })
    .await
}

async fn patch_users_once(
    store: &dyn UserStore,
    project: &ProjectId,
    items: &[PatchItem],
    origin: &Origin,
) -> Result<PatchedBatch> {
    let mut steps = Steps::default();
    let mut lap = stopwatch();
    let mut split = |step: &mut Duration| {
        *step += lap.elapsed();
        lap = stopwatch();
    };
    let (selectors, login_ids) = batch_lookups(items);
    // Where writers wait for each other, a large batch reads and applies before it takes
    // the write lock, while another batch may be writing.
    let read = if items.len() >= READ_AHEAD_ITEMS {
        store.read_ahead(project, &selectors, &login_ids).await?
    } else {
        None
    };
    let ahead = match read {
        Some(read) => {
            split(&mut steps.load);
            let seen = read.seen(&selectors);
            let mut ws = Workspace::new(read.users, read.owners);
            let outcomes = ws.apply_batch(items, &read.catalog, origin.now);
            split(&mut steps.apply);
            Some((seen, read.catalog, outcomes, ws.into_changes()))
        }
        None => None,
    };
    let mut tx = store.begin_users(project).await?;
    split(&mut steps.wait);
    let mut read_ahead = false;
    let applied = match ahead {
        Some((seen, catalog, outcomes, changes)) if tx.unchanged(&login_ids, &seen).await? => {
            read_ahead = true;
            split(&mut steps.check);
            Some((catalog, outcomes, changes))
        }
        _ => None,
    };
    let (catalog, outcomes, changes) = match applied {
        Some(applied) => applied,
        // Nothing read ahead, or something changed since: load under the lock.
        None => {
            split(&mut steps.check);
            let catalog = tx.catalog().await?;
            split(&mut steps.catalog);
            let (users, owners) = tx.load_for_batch(&selectors, &login_ids).await?;
            split(&mut steps.load);
            let mut ws = Workspace::new(users, owners);
            let outcomes = ws.apply_batch(items, &catalog, origin.now);
            split(&mut steps.apply);
            (catalog, outcomes, ws.into_changes())
        }
    };
    if !changes.is_empty() {
        steps.audit = write_recorded(tx.as_mut(), &changes, &catalog, origin).await?;
        tx.commit().await?;
        split(&mut steps.write);
        steps.write = steps.write.saturating_sub(steps.audit);
    }
    let patched = patched(&outcomes);
    let ms = |d: Duration| d.as_millis() as u64;
    tracing::info!(
        %project,
        items = items.len(),
        patched,
        failed = items.len() - patched,
        changed = changes.len(),
        read_ahead,
        wait_ms = ms(steps.wait),
        check_ms = ms(steps.check),
        catalog_ms = ms(steps.catalog),
        load_ms = ms(steps.load),
        apply_ms = ms(steps.apply),
        write_ms = ms(steps.write),
        audit_ms = ms(steps.audit),
        "patch batch"
    );
    Ok(PatchedBatch {
        outcomes,
        catalog,
        steps,
    })
}

/// One item of a create batch, as the HTTP layer read it.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant, reason = "nearly every item is Ready")]
pub enum CreateItem {
    /// A request that parsed, with the user ID to give the new user.
    Ready { id: UserId, user: NewUser },
    /// A request that could not be read; `login_id` is whatever it named.
    Invalid {
        login_id: Option<String>,
        error: Error,
    },
}

/// What became of one item of a create batch.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant, reason = "nearly every outcome is Created")]
pub enum CreateOutcome {
    Created(Arc<User>),
    Failed {
        login_id: Option<String>,
        error: Error,
    },
}

/// Create users, in request order, each whole or not at all: a login ID taken by an
/// existing user or by an earlier item of the batch fails the item.
pub async fn create_users(
    store: &dyn UserStore,
    project: &ProjectId,
    items: &[CreateItem],
    origin: &Origin,
) -> Result<(Vec<CreateOutcome>, Arc<Catalog>)> {
    on_own_thread(store, items.len(), async {
        let mut attempt = 1;
        loop {
            let outcome = create_users_once(store, project, items, origin).await;
            if !again("create batch", &outcome, &mut attempt).await {
                return outcome;
            }
        }
    })
    .await
}

async fn create_users_once(
    store: &dyn UserStore,
    project: &ProjectId,
    items: &[CreateItem],
    origin: &Origin,
) -> Result<(Vec<CreateOutcome>, Arc<Catalog>)> {
    let mut tx = store.begin_users(project).await?;
    let catalog = tx.catalog().await?;
    let login_ids: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            CreateItem::Ready { user, .. } => Some(user),
            CreateItem::Invalid { .. } => None,
        })
        .flat_map(|u| std::iter::once(u.login_id.as_str()).chain(u.patch.mentioned_login_ids()))
        .collect();
    let (users, owners) = tx.load_for_batch(&[], &login_ids).await?;
    let mut ws = Workspace::new(users, owners);
    let outcomes: Vec<CreateOutcome> = items
        .iter()
        .map(|item| match item {
            CreateItem::Ready { id, user } => {
                let now = origin.now;
                match ws.create(user.blank(id.clone(), now), &user.patch, &catalog, now) {
                    Ok(u) => CreateOutcome::Created(u),
                    Err(f) => CreateOutcome::Failed {
                        login_id: Some(user.login_id.as_str().to_string()),
                        error: f.error,
                    },
                }
            }
            CreateItem::Invalid { login_id, error } => CreateOutcome::Failed {
                login_id: login_id.clone(),
                error: error.clone(),
            },
        })
        .collect();
    let changes = ws.into_changes();
    if !changes.is_empty() {
        write_recorded(tx.as_mut(), &changes, &catalog, origin).await?;
        tx.commit().await?;
    }
    Ok((outcomes, catalog))
}
