//! The tenants of a seeded project: each created with its pinned ID, or updated where
//! it differs, parents before their children, with its session settings.

use std::collections::HashSet;

use anyhow::{anyhow, bail};
use roster_api::wire::tenant::{TenantBody, settings_patch};
use roster_domain::audit::Origin;
use roster_domain::ids::ProjectId;
use roster_domain::tenant::{TenantChange, TenantPatch};
use roster_store::Store;

use super::{Applied, at, body};

/// Apply `values`, the `tenants` of the project at `path`.
pub(super) async fn apply(
    store: &dyn Store,
    project: &ProjectId,
    values: &[serde_json::Value],
    path: &str,
    origin: &Origin,
    applied: &mut Applied,
) -> anyhow::Result<()> {
    let mut tenants = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let path = format!("{path}.tenants[{i}]");
        let b: TenantBody = body(value, &path)?;
        let id = b
            .id()
            .map_err(at(&path))?
            .ok_or_else(|| anyhow!("{path}.id: a seeded tenant needs its ID"))?;
        let mut spec = b.spec().map_err(at(&path))?;
        // `settings`: the session settings of `POST /v1/mgmt/tenant/settings`, read by
        // its rules; given ones are set, others left as they are.
        let settings = match value.get("settings") {
            None | Some(serde_json::Value::Null) => serde_json::Map::new(),
            Some(serde_json::Value::Object(given)) => {
                settings_patch(given)
                    .map_err(at(&format!("{path}.settings")))?
                    .settings
            }
            Some(_) => bail!("{path}.settings: must be an object of session settings"),
        };
        spec.settings.clone_from(&settings);
        tenants.push((path, id, spec, settings));
    }
    let in_file: HashSet<String> = tenants
        .iter()
        .map(|(_, id, _, _)| id.as_str().to_string())
        .collect();
    let mut placed: HashSet<String> = HashSet::new();
    while placed.len() < tenants.len() {
        let before = placed.len();
        for (path, id, spec, settings) in &tenants {
            if placed.contains(id.as_str()) {
                continue;
            }
            let waits = spec
                .parent
                .as_ref()
                .is_some_and(|p| in_file.contains(p.as_str()) && !placed.contains(p.as_str()));
            if waits {
                continue;
            }
            match store.load_tenant(project, id).await? {
                None => {
                    store
                        .create_tenant(project, id, spec, origin)
                        .await
                        .map_err(at(path))?;
                    applied.created += 1;
                }
                Some(t) => {
                    // An update keeps the parent and the session settings; the file's
                    // settings are then set over the stored ones.
                    let mut replaced = spec.clone();
                    replaced.parent.clone_from(&t.spec.parent);
                    replaced.settings.clone_from(&t.spec.settings);
                    let mut merged = t.spec.settings.clone();
                    merged.extend(settings.clone());
                    let fields_differ = replaced != t.spec;
                    let settings_differ = merged != t.spec.settings;
                    if fields_differ {
                        store
                            .update_tenant(
                                project,
                                id,
                                &TenantChange::Replace(spec.clone()),
                                origin,
                            )
                            .await
                            .map_err(at(path))?;
                    }
                    if settings_differ {
                        let patch = TenantPatch {
                            settings: settings.clone(),
                            ..TenantPatch::default()
                        };
                        store
                            .update_tenant(project, id, &TenantChange::Patch(patch), origin)
                            .await
                            .map_err(at(path))?;
                    }
                    if fields_differ || settings_differ {
                        applied.changed += 1;
                    } else {
                        applied.unchanged += 1;
                    }
                }
            }
            placed.insert(id.as_str().to_string());
        }
        if placed.len() == before {
            bail!("{path}.tenants: their parents form a cycle");
        }
    }
    Ok(())
}
