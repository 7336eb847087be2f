//! Checking a management key against a project's stored digests.

use roster_domain::ids::ProjectId;
use roster_domain::keys::ManagementKey;
use roster_domain::time::Millis;

use crate::{ProjectStore, Result};

/// Whether `key` is a live key of `project`: its digest equals a stored one (compared in
/// constant time, every stored key compared, no early exit), and that key is neither
/// revoked nor expired at `now`. An unknown project simply has no keys.
pub async fn authenticate(
    store: &dyn ProjectStore,
    project: &ProjectId,
    key: &ManagementKey,
    now: Millis,
) -> Result<bool> {
    let presented = key.hash();
    let mut granted = false;
    for stored in store.keys(project).await? {
        let live = stored.revoked.is_none() && stored.expires.is_none_or(|e| e > now);
        granted |= stored.hash.matches(&presented) & live;
    }
    Ok(granted)
}
