//! Pruning the audit trail: records older than the retention are deleted in the
//! background, in batches of [`BATCH`], each its own short transaction with a pause
//! after it, so that writers never wait behind a large delete. Every node prunes; on
//! PostgreSQL, rows another node is deleting are skipped.

use std::sync::Arc;
use std::time::Duration;

use roster_domain::time::{Clock, Millis};
use roster_store::Store;

/// Records deleted per transaction.
pub const BATCH: u32 = 5_000;

/// How often the trail is pruned.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Pause between two batches, for writers waiting on the lock.
const PAUSE: Duration = Duration::from_millis(20);

/// Delete every record older than `retention` before `now`; how many there were.
pub async fn prune_once(
    store: &dyn Store,
    retention: Duration,
    now: Millis,
) -> roster_store::Result<u64> {
    let retention = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
    let before = Millis(now.0.saturating_sub(retention));
    let mut total = 0;
    loop {
        let pruned = store.prune_audit(before, BATCH).await?;
        total += pruned;
        if pruned < u64::from(BATCH) {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE).await;
    }
}

/// Prune now, then every [`EVERY`], until the task is dropped. A failure is logged and
/// tried again at the next round.
pub async fn prune_forever(store: Arc<dyn Store>, clock: Arc<dyn Clock>, retention: Duration) {
    let mut rounds = tokio::time::interval(EVERY);
    rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        rounds.tick().await;
        match prune_once(store.as_ref(), retention, clock.now()).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "pruned audit records past the retention"),
            Err(e) => {
                tracing::warn!(error = %e, "could not prune the audit trail; trying again later")
            }
        }
    }
}
