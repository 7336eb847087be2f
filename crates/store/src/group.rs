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
//! How a group forms: a patch joins its project's queue. If no group of that project is
//! being written, it starts the project's writer, a task that takes every patch queued
//! so far, runs them as one group, and then takes whatever queued meanwhile, until the
//! queue is empty. Patches that arrive while a group is written simply queue: the next
//! group takes them all at once. The writer is a task of its own, so a request that times
//! out never cuts the transaction of the others short; a patch whose request is gone
//! before its group starts is skipped, never applied behind its client's back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use roster_domain::Error;
use roster_domain::audit::{Origin, records};
use roster_domain::catalog::Catalog;
use roster_domain::ids::ProjectId;
use roster_domain::patch::{PatchItem, PatchOutcome, Workspace, batch_lookups};
use tokio::sync::oneshot;

use crate::batch::{again, on_own_thread};
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
    state: Mutex<QueueState>,
}

#[derive(Debug, Default)]
struct QueueState {
    waiting: Vec<Waiting>,
    /// A writer task is running for this project (it empties `waiting` before it ends).
    writing: bool,
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
        let start_writer = {
            let mut state = lock(&queue.state);
            state.waiting.push(Waiting {
                item,
                origin,
                reply,
            });
            !std::mem::replace(&mut state.writing, true)
        };
        if start_writer {
            // The writer runs on a thread of its own when the store's transactions
            // work on the calling thread: one hand-over for a run of groups.
            let project = project.clone();
            tokio::spawn(async move {
                let writer = store.clone();
                on_own_thread(writer.as_ref(), 0, write_groups(store, project, queue)).await;
            });
        }
        answer.await.unwrap_or_else(|_| {
            tracing::error!("a group of single patches ended without answering");
            Err(Error::internal())
        })
    }
}

/// The project's writer: runs groups until nothing is waiting. Taking the queue and
/// ending when it is empty happen under the queue's lock, so a patch that arrives is
/// always either taken by this writer or starts the next one.
async fn write_groups(store: Arc<dyn Store>, project: ProjectId, queue: Arc<Queue>) {
    let mut guard = Writing(Some(queue.clone()));
    loop {
        let group = {
            let mut state = lock(&queue.state);
            if state.waiting.is_empty() {
                state.writing = false;
                guard.0 = None;
                return;
            }
            std::mem::take(&mut state.waiting)
        };
        run(store.clone(), &project, group).await;
    }
}

/// Should a writer end without emptying its queue (a panic), the next patch starts
/// another: the queue no longer says a writer is running.
struct Writing(Option<Arc<Queue>>);

impl Drop for Writing {
    fn drop(&mut self) {
        if let Some(queue) = self.0.take() {
            lock(&queue.state).writing = false;
        }
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
) -> Result<(Vec<PatchOutcome>, Arc<Catalog>)> {
    let mut tx = store.begin_users(project).await?;
    let items: Vec<PatchItem> = group.iter().map(|w| w.item.clone()).collect();
    let (selectors, login_ids) = batch_lookups(&items);
    let catalog = tx.catalog().await?;
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
