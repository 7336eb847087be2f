//! `roster key create | list | revoke`: management keys from the command line, so that
//! rotating or revoking one never takes SQL.

use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use roster_domain::audit::Origin;
use roster_domain::ids::{KeyId, ProjectId, RandomIds};
use roster_domain::keys::{IpRange, ManagementKey};
use roster_domain::time::{Clock, Millis, SystemClock};
use roster_store::{Store, StoredKey};

use crate::cli::KeyCommand;
use crate::startup::open_store;

/// Connections a one-shot command opens.
const CLI_POOL_SIZE: u32 = 1;

/// Run a key command; what it prints goes to `out` (the new key, or the list).
pub async fn run(command: KeyCommand, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    match command {
        KeyCommand::Create {
            project,
            name,
            expires,
            read_only,
            permitted_ips,
            database,
        } => {
            let store = open_store(&database.database_url, CLI_POOL_SIZE).await?;
            let (key, stored) =
                new_key(name, expires, read_only, &permitted_ips, SystemClock.now())?;
            let origin = Origin::command_line(SystemClock.now());
            store
                .add_key(&parse_project(&project)?, &stored, &origin)
                .await?;
            writeln!(out, "{}", key.expose())?;
        }
        KeyCommand::List { project, database } => {
            let store = open_store(&database.database_url, CLI_POOL_SIZE).await?;
            let project = parse_project(&project)?;
            require_project(store.as_ref(), &project).await?;
            let keys = store.keys(&project).await?;
            write!(out, "{}", listing(&keys, SystemClock.now()))?;
        }
        KeyCommand::Revoke {
            project,
            id,
            id_flag,
            database,
        } => {
            let store = open_store(&database.database_url, CLI_POOL_SIZE).await?;
            let project = parse_project(&project)?;
            let id = id.or(id_flag).ok_or_else(|| {
                anyhow::anyhow!("name the key to revoke: roster key revoke --project ID KEY_ID")
            })?;
            let id = KeyId::from_stored(id);
            let origin = Origin::command_line(SystemClock.now());
            if !store.revoke_key(&project, &id, &origin).await? {
                anyhow::bail!("project {project} has no key {id} (see `roster key list`)");
            }
            writeln!(out, "revoked {id}")?;
        }
    }
    Ok(())
}

fn parse_project(s: &str) -> anyhow::Result<ProjectId> {
    ProjectId::parse(s).map_err(|e| anyhow::anyhow!("--project: {}", e.reason))
}

async fn require_project(store: &dyn Store, project: &ProjectId) -> anyhow::Result<()> {
    if store.project_exists(project).await? {
        Ok(())
    } else {
        anyhow::bail!("project {project} does not exist")
    }
}

/// A fresh key and what the store keeps of it.
fn new_key(
    name: String,
    expires: Option<Duration>,
    read_only: bool,
    permitted_ips: &[String],
    now: Millis,
) -> anyhow::Result<(ManagementKey, StoredKey)> {
    let permitted_ips = permitted_ips
        .iter()
        .map(|s| IpRange::parse(s).map_err(|e| anyhow::anyhow!("--permitted-ip: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let expires = expires
        .map(|d| {
            let ms = i64::try_from(d.as_millis())
                .ok()
                .filter(|ms| *ms > 0)
                .ok_or_else(|| anyhow::anyhow!("--expires: must be more than 0 and finite"))?;
            Ok::<_, anyhow::Error>(Millis(now.0.saturating_add(ms)))
        })
        .transpose()?;
    let key = ManagementKey::generate(&RandomIds);
    let stored = StoredKey {
        expires,
        read_only,
        permitted_ips,
        ..StoredKey::new(KeyId::generate(&RandomIds), name, key.hash(), now)
    };
    Ok((key, stored))
}

fn when(t: Millis) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(t.0).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()
}

/// The keys as a table: never a secret, only what tells them apart.
fn listing(keys: &[StoredKey], now: Millis) -> String {
    let mut out = String::from("ID\tNAME\tCREATED\tEXPIRES\tSTATUS\tACCESS\tPERMITTED FROM\n");
    for k in keys {
        let status = match (k.revoked, k.expires) {
            (Some(at), _) => format!("revoked {}", when(at)),
            (None, Some(at)) if at <= now => "expired".to_string(),
            _ if !k.active => "inactive".to_string(),
            _ => "active".to_string(),
        };
        let permitted = if k.permitted_ips.is_empty() {
            "anywhere".to_string()
        } else {
            k.permitted_ips
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            k.id,
            k.name,
            when(k.created),
            k.expires.map_or_else(|| "never".to_string(), when),
            status,
            if k.read_only {
                "read-only"
            } else {
                "read-write"
            },
            permitted
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_carry_their_limits() {
        let now = Millis(1_764_000_000_000);
        let (key, stored) = new_key(
            "ci".into(),
            Some(Duration::from_secs(3_600)),
            true,
            &["10.0.0.0/8".into(), "203.0.113.7".into()],
            now,
        )
        .unwrap();
        assert!(stored.hash.matches(&key.hash()));
        assert_eq!(stored.expires, Some(Millis(now.0 + 3_600_000)));
        assert!(stored.read_only);
        assert_eq!(stored.permitted_ips.len(), 2);
        assert!(new_key("x".into(), None, false, &["nope".into()], now).is_err());
    }

    #[test]
    fn the_listing_shows_no_secret() {
        let now = Millis(1_764_000_000_000);
        let (key, mut a) = new_key("a".into(), None, false, &[], now).unwrap();
        let (_, mut b) = new_key("b".into(), Some(Duration::from_secs(1)), true, &[], now).unwrap();
        a.revoked = Some(now);
        b.permitted_ips = vec![IpRange::parse("10.0.0.0/8").unwrap()];
        let text = listing(&[a, b], Millis(now.0 + 5_000));
        assert!(text.contains("revoked 2025-11-24T"));
        assert!(text.contains("expired\tread-only\t10.0.0.0/8"));
        assert!(!text.contains(key.expose()));
    }
}
