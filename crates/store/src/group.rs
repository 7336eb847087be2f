//! Group commit for single-user patches: the patches of one project that arrive while
//! another is being written wait, and then go in together, in one transaction.
//!
//! Each patch is still its own: applied alone, in arrival order, over the users as the
//! patches before it left them (the workspace applies them one by one, exactly as a
//! batch applies its items), succeeding or failing whole, recorded in the audit trail
//! under its own key, address and time, and answered only once the transaction that
//! holds it has committed (durable). What changes is the number of commits: one per
//! group instead of one per patch, which is what a durable single writer pays most for.
//!
//! How a group forms: a patch joins its project's queue, then waits for the project's
//! writer lock (fair: first come, first served). Whoever gets the lock takes every patch
//! queued so far and runs them; the others find their patch taken and wait for its
//! answer. The group runs on a task of its own that holds the lock, so a request that
//! times out never cuts the transaction of the others short; a patch whose request is
//! gone before its group starts is skipped, never applied behind its client's back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use roster_domain::Error;
use roster_domain::audit::{Origin, records};
use roster_domain::catalog::Catalog;
use roster_domain::ids::ProjectId;
use roster_domain::patch::{PatchItem, PatchOutcome, Workspace, batch_lookups};
use tokio::sync::oneshot;

use crate::batch::again;
use crate::{Result, Store};

/// What a grouped patch gets back: its outcome, and the catalog its group saw.
pub type Answer = Result<(PatchOutcome, Arc<Catalog>)>;

/// The queues of single patches, one per project. One per server.
#[derive(Debug, Default)]
pub struct GroupCommit {
    queues: Mutex<HashMap<ProjectId, Arc<Queue>>>,
}

#[derive(Debug, Default)]
struct Queue {
    waiting: Mutex<Vec<Waiting>>,
    writer: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug)]
struct Waiting {
    item: PatchItem,
    origin: Origin,
    reply: oneshot::Sender<Answer>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl GroupCommit {
    pub fn new() -> Self {
        Self::default()
    }

    fn queue(&self, project: &ProjectId) -> Arc<Queue> {
        lock(&self.queues)
            .entry(project.clone())
            .or_default()
            .clone()
    }

    /// Apply one patch, in a group with whatever other patches of the project are
    /// waiting; answered once the group's transaction has committed.
    pub async fn patch(
        &self,
        store: Arc<dyn Store>,
        project: &ProjectId,
        item: PatchItem,
        origin: Origin,
    ) -> Answer {
        let queue = self.queue(project);
        let (reply, answer) = oneshot::channel();
        lock(&queue.waiting).push(Waiting {
            item,
            origin,
            reply,
        });
        let writer = queue.writer.clone().lock_owned().await;
        let group = std::mem::take(&mut *lock(&queue.waiting));
        if group.is_empty() {
            // An earlier group took this patch.
            drop(writer);
        } else {
            let project = project.clone();
            tokio::spawn(async move {
                run(store, &project, group).await;
                drop(writer);
            });
        }
        answer.await.unwrap_or_else(|_| {
            tracing::error!("a group of single patches ended without answering");
            Err(Error::internal())
        })
    }
}

/// Run a group, running it again after a write conflict, and answer each patch.
async fn run(store: Arc<dyn Store>, project: &ProjectId, group: Vec<Waiting>) {
    let group: Vec<Waiting> = group.into_iter().filter(|w| !w.reply.is_closed()).collect();
    if group.is_empty() {
        return;
    }
    let mut attempt = 1;
    let outcome = loop {
        let outcome = run_once(store.as_ref(), project, &group).await;
        if !again("single patches", &outcome, &mut attempt).await {
            break outcome;
        }
    };
    match outcome {
        Ok((outcomes, catalog)) => {
            let catalog = Arc::new(catalog);
            for (w, o) in group.into_iter().zip(outcomes) {
                // A request that went away meanwhile no longer listens.
                let _ = w.reply.send(Ok((o, catalog.clone())));
            }
        }
        Err(e) => {
            for w in group {
                let _ = w.reply.send(Err(e.clone()));
            }
        }
    }
}

async fn run_once(
    store: &dyn Store,
    project: &ProjectId,
    group: &[Waiting],
) -> Result<(Vec<PatchOutcome>, Catalog)> {
    let mut tx = store.begin_users(project).await?;
    let catalog = tx.catalog().await?;
    let items: Vec<PatchItem> = group.iter().map(|w| w.item.clone()).collect();
    let (selectors, login_ids) = batch_lookups(&items);
    let (users, owners) = tx.load_for_batch(&selectors, &login_ids).await?;
    let mut ws = Workspace::new(users, owners);
    let mut trail = Vec::new();
    let mut outcomes = Vec::with_capacity(group.len());
    for w in group {
        // One user per patch: the record is that user before and after this patch.
        let before = match &w.item {
            PatchItem::Ready { selector, .. } => ws.resolve(selector).cloned(),
            _ => None,
        };
        let outcome = ws.apply_item(0, &w.item, &catalog, w.origin.now);
        if let (Some(before), PatchOutcome::Patched(after)) = (&before, &outcome)
            && !Arc::ptr_eq(before, after)
            && w.origin.audited
        {
            trail.push(records::user(&w.origin, Some(before), after));
        }
        outcomes.push(outcome);
    }
    let changes = ws.into_changes();
    if !changes.is_empty() {
        tx.write(&changes, &catalog).await?;
        tx.record(&trail).await?;
        tx.commit().await?;
    }
    tracing::debug!(%project, patches = group.len(), changed = changes.len(), "single patches");
    Ok((outcomes, catalog))
}
