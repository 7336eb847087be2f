//! Start-up: open the store a URL names, make sure a project and a key exist, serve.

use std::io::Write;
use std::sync::Arc;

use anyhow::bail;
use roster_domain::audit::Origin;
use roster_domain::ids::{IdGenerator, KeyId, ProjectId};
use roster_domain::keys::ManagementKey;
use roster_domain::names::Label;
use roster_domain::time::Clock;
use roster_store::{Project, Store, StoredKey};
use roster_store_postgres::PostgresStore;
use roster_store_sqlite::SqliteStore;

/// Open (and migrate) the store a database URL names; `pool_size` is the most
/// connections a PostgreSQL store opens (SQLite has its own fixed layout).
pub async fn open_store(url: &str, pool_size: u32) -> anyhow::Result<Arc<dyn Store>> {
    if roster_store_sqlite::handles(url) {
        let store = SqliteStore::open(url).await?;
        return Ok(Arc::new(store));
    }
    if roster_store_postgres::handles(url) {
        let store = PostgresStore::open(url, pool_size).await?;
        return Ok(Arc::new(store));
    }
    bail!(
        "unsupported database URL {:?}: expected sqlite://PATH, sqlite::memory: or postgres://USER@HOST:PORT/DATABASE",
        redact(url)
    )
}

/// A database URL without its password, for logs and messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The `ROSTER_PROJECT_ID` and `ROSTER_MANAGEMENT_KEY` pair, when both are set.
#[derive(Debug)]
pub struct Bootstrap {
    pub project: ProjectId,
    pub key: ManagementKey,
}

impl Bootstrap {
    pub fn from_options(project: Option<&str>, key: Option<&str>) -> anyhow::Result<Option<Self>> {
        match (
            project.filter(|p| !p.is_empty()),
            key.filter(|k| !k.is_empty()),
        ) {
            (None, None) => Ok(None),
            (Some(p), Some(k)) => Ok(Some(Bootstrap {
                project: ProjectId::parse(p)
                    .map_err(|e| anyhow::anyhow!("ROSTER_PROJECT_ID: {}", e.reason))?,
                key: ManagementKey::parse(k)
                    .map_err(|e| anyhow::anyhow!("ROSTER_MANAGEMENT_KEY: {e}"))?,
            })),
            _ => bail!("set both ROSTER_PROJECT_ID and ROSTER_MANAGEMENT_KEY, or neither"),
        }
    }
}

pub(crate) fn stored_key(
    ids: &dyn IdGenerator,
    key: &ManagementKey,
    name: &str,
    clock: &dyn Clock,
) -> StoredKey {
    StoredKey::new(
        KeyId::generate(ids),
        name.to_string(),
        key.hash(),
        clock.now(),
    )
}

/// The name under which the key of `ROSTER_MANAGEMENT_KEY` is stored.
const ENV_KEY_NAME: &str = "ROSTER_MANAGEMENT_KEY";

/// Make sure the store has what a caller needs to get in.
///
/// With a [`Bootstrap`], that project and that key exist afterwards (creating them is
/// idempotent). Without one, a store that has no project yet gets one project and one
/// key, written to `out` once: the only time that key is ever shown.
pub async fn bootstrap(
    store: &dyn Store,
    given: Option<&Bootstrap>,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if let Some(b) = given {
        let name = Label::parse("default").map_err(anyhow::Error::msg)?;
        if store.ensure_project(&b.project, &name, clock.now()).await? {
            tracing::info!(project = %b.project, "created the project named by ROSTER_PROJECT_ID");
        }
        if store
            .add_key(
                &b.project,
                &stored_key(ids, &b.key, ENV_KEY_NAME, clock),
                &Origin::server(clock.now()),
            )
            .await?
        {
            tracing::info!(project = %b.project, "registered ROSTER_MANAGEMENT_KEY for the project");
        }
        // A changed ROSTER_MANAGEMENT_KEY replaces the one before it: the old key stops
        // working (keys made with `roster key create` are not touched).
        let current = b.key.hash();
        for old in store.keys(&b.project).await? {
            if old.name == ENV_KEY_NAME && old.revoked.is_none() && !old.hash.matches(&current) {
                store
                    .revoke_key(&b.project, &old.id, &Origin::server(clock.now()))
                    .await?;
                tracing::info!(project = %b.project, key = %old.id, "revoked the ROSTER_MANAGEMENT_KEY this one replaced");
            }
        }
        return Ok(());
    }
    if store.has_projects().await? {
        return Ok(());
    }
    let project = Project {
        id: ProjectId::generate(ids),
        name: Label::parse("default").map_err(anyhow::Error::msg)?,
        created: clock.now(),
    };
    let key = ManagementKey::generate(ids);
    // Another node starting on the same empty database may win the race; then this
    // one's project and key are never stored, and it prints nothing.
    if !store
        .create_first_project(
            &project,
            &stored_key(ids, &key, "first start", clock),
            &Origin::server(clock.now()),
        )
        .await?
    {
        return Ok(());
    }
    let project = project.id;
    writeln!(
        out,
        "Roster made a project and a management key for this new store.\n\
         The key is shown only this once: keep it.\n\
         \n  Project ID:     {project}\n  Management key: {key}\n\
         \n  Authorization: Bearer {project}:{key}\n",
        key = key.expose()
    )?;
    out.flush()?;
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
