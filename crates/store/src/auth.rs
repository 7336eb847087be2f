//! Checking a management key against a project's stored digests.

use std::net::IpAddr;

use roster_domain::ids::{KeyId, ProjectId};
use roster_domain::keys::{ManagementKey, permitted_from};
use roster_domain::time::Millis;

use crate::{ProjectStore, Result};

/// What a granted key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub key: KeyId,
    /// The key reads everything and changes nothing.
    pub read_only: bool,
    /// The project's catalog version, read with the key: what the request renders users
    /// with ([`UserStore::catalog_seen`](crate::UserStore::catalog_seen)).
    pub catalog_version: Option<i64>,
}

/// The access `key` gives to `project` for a request from `client`, if any: its digest
/// equals a stored one (compared in constant time, every stored key compared, no early
/// exit), and that key is active, neither revoked nor expired at `now`, and may be used from
/// `client` (a key limited to addresses refuses an unknown client). A key used from
/// elsewhere is refused exactly like a wrong key. An unknown project simply has no keys.
pub async fn authenticate(
    store: &dyn ProjectStore,
    project: &ProjectId,
    key: &ManagementKey,
    client: Option<IpAddr>,
    now: Millis,
) -> Result<Option<Access>> {
    let presented = key.hash();
    let mut granted = None;
    let ring = store.key_ring(project).await?;
    for stored in ring.keys {
        let live = stored.active
            && stored.revoked.is_none()
            && stored.expires.is_none_or(|e| e > now)
            && permitted_from(&stored.permitted_ips, client);
        if stored.hash.matches(&presented) & live {
            granted = Some(Access {
                key: stored.id.clone(),
                read_only: stored.read_only,
                catalog_version: ring.catalog_version,
            });
        }
    }
    Ok(granted)
}
