//! Seed documents: a JSON file of projects, with the keys they accept, their
//! permissions, tenants, roles, custom attribute definitions and users, applied to a
//! store by `roster seed FILE` or `roster serve --seed FILE`, and written from a store
//! by `roster export` ([`export`]).
//!
//! Each resource is written as the management API's create body for it (the same field
//! names and aliases, read by the same wire types), and goes through the same rules; a
//! tenant also takes `settings`, the body of `POST /v1/mgmt/tenant/settings`
//! (`seed/tenants.rs`).
//! Applying is idempotent: what is missing is created, what differs is changed, what
//! matches is left alone, so a second run changes nothing (no `version` moves, no audit
//! record). IDs are pinned: projects, tenants and users keep the IDs the file gives.
//!
//! What applying does not do: delete what the file leaves out; change an existing
//! user's login IDs (a patch does that); change an attribute definition in place (it is
//! refused, naming the definition); or carry passwords, which a store holds only as
//! hashes no API accepts back. A problem in the file is reported with its path in the
//! document (`projects[0].users[12].email: …`), and stops the seed there: what came
//! before it is kept, and running the seed again after fixing the file completes it.

use std::collections::HashMap;

use anyhow::{Context, anyhow, bail};
use roster_api::wire::attribute::AttributeBody;
use roster_api::wire::permission::PermissionBody;
use roster_api::wire::role::RoleBody;
use roster_api::wire::user::UserBody;
use roster_domain::audit::Origin;
use roster_domain::change;
use roster_domain::create::NewUser;
use roster_domain::ids::{IdGenerator, PermissionId, ProjectId, RoleId, UserId};
use roster_domain::keys::ManagementKey;
use roster_domain::names::Label;
use roster_domain::patch::{PatchItem, PatchOutcome};
use roster_domain::permission::{PermissionRef, PermissionUpdate};
use roster_domain::role::{RoleRef, RoleUpdate};
use roster_domain::time::Clock;
use roster_store::Store;
use roster_store::batch::{CreateItem, CreateOutcome, create_users, patch_users};
use serde::{Deserialize, Serialize};

use crate::startup::stored_key;

pub mod export;
mod tenants;

/// A seed document.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedDoc {
    pub projects: Vec<SeedProject>,
}

/// One project of a seed document.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedProject {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Management keys the project accepts (stored as digests only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub management_keys: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<serde_json::Value>,
    #[serde(default)]
    pub tenants: Vec<serde_json::Value>,
    #[serde(default)]
    pub roles: Vec<serde_json::Value>,
    #[serde(default)]
    pub custom_attributes: Vec<serde_json::Value>,
    #[serde(default)]
    pub users: Vec<serde_json::Value>,
}

/// Users created or updated per transaction.
const SEED_BATCH: usize = 5_000;

/// What applying a seed did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub created: usize,
    pub changed: usize,
    pub unchanged: usize,
}

impl std::fmt::Display for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created, {} changed, {} unchanged",
            self.created, self.changed, self.unchanged
        )
    }
}

/// Read a seed document; an error names the path of what is wrong.
pub fn parse(text: &str) -> anyhow::Result<SeedDoc> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        anyhow!("{path}: {}", e.inner())
    })
}

/// Read one resource of the document as its wire body, naming its path on failure.
pub(super) fn body<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
    path: &str,
) -> anyhow::Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        if inner == "." {
            anyhow!("{path}: {}", e.inner())
        } else {
            anyhow!("{path}.{inner}: {}", e.inner())
        }
    })
}

/// A rule's refusal, at `path`.
pub(super) fn at(path: &str) -> impl Fn(roster_domain::Error) -> anyhow::Error + '_ {
    move |e| anyhow!("{path}: {}", e.message)
}

/// Apply a seed document to a store.
pub async fn apply(
    store: &dyn Store,
    doc: &SeedDoc,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
) -> anyhow::Result<Applied> {
    let mut applied = Applied::default();
    for (p, project) in doc.projects.iter().enumerate() {
        let path = format!("projects[{p}]");
        apply_project(store, project, &path, ids, clock, &mut applied).await?;
    }
    Ok(applied)
}

async fn apply_project(
    store: &dyn Store,
    seed: &SeedProject,
    path: &str,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
    applied: &mut Applied,
) -> anyhow::Result<()> {
    let origin = Origin::command_line(clock.now());
    let project = ProjectId::parse(&seed.id).map_err(|e| anyhow!("{path}.id: {}", e.reason))?;
    let name = Label::parse(seed.name.as_deref().unwrap_or("default"))
        .map_err(|r| anyhow!("{path}.name: {r}"))?;
    count(
        applied,
        store.ensure_project(&project, &name, clock.now()).await?,
    );

    for (k, key) in seed.management_keys.iter().enumerate() {
        let key =
            ManagementKey::parse(key).map_err(|r| anyhow!("{path}.managementKeys[{k}]: {r}"))?;
        let added = store
            .add_key(&project, &stored_key(ids, &key, "seed", clock), &origin)
            .await?;
        count(applied, added);
    }

    // Permissions, by name.
    let stored: HashMap<String, String> = store
        .all_permissions(&project)
        .await?
        .into_iter()
        .map(|p| (p.name.as_str().to_string(), p.description))
        .collect();
    for (i, value) in seed.permissions.iter().enumerate() {
        let path = format!("{path}.permissions[{i}]");
        let b: PermissionBody = body(value, &path)?;
        let (name, description) = b.new_permission().map_err(at(&path))?;
        match stored.get(name.as_str()) {
            None => {
                store
                    .create_permissions(
                        &project,
                        &[(PermissionId::generate(ids), name, description)],
                        &origin,
                    )
                    .await
                    .map_err(at(&path))?;
                applied.created += 1;
            }
            Some(d) if *d == description => applied.unchanged += 1,
            Some(_) => {
                let update = PermissionUpdate {
                    target: PermissionRef::Name(name),
                    new_name: None,
                    description,
                };
                store
                    .update_permissions(&project, &[update], &origin)
                    .await
                    .map_err(at(&path))?;
                applied.changed += 1;
            }
        }
    }

    // Tenants, by ID, parents before their children.
    tenants::apply(store, &project, &seed.tenants, path, &origin, applied).await?;

    // Roles, by name within their tenant.
    let stored: HashMap<(Option<String>, String), _> = store
        .all_roles(&project)
        .await?
        .into_iter()
        .map(|r| {
            (
                (
                    r.tenant_id.as_ref().map(|t| t.as_str().to_string()),
                    r.name.as_str().to_string(),
                ),
                r.spec(),
            )
        })
        .collect();
    for (i, value) in seed.roles.iter().enumerate() {
        let path = format!("{path}.roles[{i}]");
        let b: RoleBody = body(value, &path)?;
        let spec = b.spec().map_err(at(&path))?;
        let key = (
            spec.tenant_id.as_ref().map(|t| t.as_str().to_string()),
            spec.name.as_str().to_string(),
        );
        match stored.get(&key) {
            None => {
                store
                    .create_roles(&project, &[(RoleId::generate(ids), spec)], &origin)
                    .await
                    .map_err(at(&path))?;
                applied.created += 1;
            }
            Some(s) if *s == spec => applied.unchanged += 1,
            Some(_) => {
                let update = RoleUpdate {
                    target: RoleRef::Name {
                        name: spec.name.clone(),
                        tenant_id: spec.tenant_id.clone(),
                    },
                    new_name: None,
                    description: spec.description,
                    permission_names: spec.permission_names,
                    default: spec.default,
                    private: spec.private,
                };
                store
                    .update_roles(&project, &[update], &origin)
                    .await
                    .map_err(at(&path))?;
                applied.changed += 1;
            }
        }
    }

    // Custom attribute definitions, by name; never changed in place.
    let stored: HashMap<String, _> = store
        .all_attributes(&project)
        .await?
        .into_iter()
        .map(|d| (d.name.as_str().to_string(), d))
        .collect();
    for (i, value) in seed.custom_attributes.iter().enumerate() {
        let path = format!("{path}.customAttributes[{i}]");
        let b: AttributeBody = body(value, &path)?;
        let def = b
            .def(0)
            .map_err(|e| anyhow!("{path}: {}", e.message.replace("attributes[0].", "")))?;
        match stored.get(def.name.as_str()) {
            None => {
                store
                    .create_attributes(&project, &[def], &origin)
                    .await
                    .map_err(at(&path))?;
                applied.created += 1;
            }
            Some(d) if *d == def => applied.unchanged += 1,
            Some(_) => bail!(
                "{path}: the attribute {} is already defined differently, and a definition \
                 is not changed in place (delete it first: that removes its values from \
                 every user)",
                def.name.as_str()
            ),
        }
    }

    apply_users(store, &project, seed, path, &origin, applied).await
}

/// Users: created with their pinned IDs when missing, otherwise brought to what the
/// file says through the full-replace rules of `user/update`.
async fn apply_users(
    store: &dyn Store,
    project: &ProjectId,
    seed: &SeedProject,
    path: &str,
    origin: &Origin,
    applied: &mut Applied,
) -> anyhow::Result<()> {
    let mut users = Vec::new();
    for (i, value) in seed.users.iter().enumerate() {
        let path = format!("{path}.users[{i}]");
        let b: UserBody = body(value, &path)?;
        let id = match roster_api::wire::common::given(&b.user_id) {
            Some(id) => UserId::parse(id).map_err(|e| anyhow!("{path}.userId: {}", e.reason))?,
            None => bail!("{path}.userId: a seeded user needs its ID"),
        };
        if roster_api::wire::common::given(&b.login_id).is_none() {
            bail!("{path}.loginId: a seeded user needs a login ID");
        }
        users.push((path, id, b));
    }
    let wanted: Vec<String> = users
        .iter()
        .map(|(_, id, _)| id.as_str().to_string())
        .collect();
    // The version of each user that exists: a patch that leaves it is no change.
    let existing: HashMap<String, i64> = store
        .load_users(project, &wanted)
        .await?
        .into_iter()
        .map(|u| (u.id.as_str().to_string(), u.version))
        .collect();
    let (mut creates, mut create_paths) = (Vec::new(), Vec::new());
    let (mut patches, mut patch_paths) = (Vec::new(), Vec::new());
    for (path, id, b) in users {
        if existing.contains_key(id.as_str()) {
            let patch = change::replace(b.into_raw_patch())
                .map_err(|e| anyhow!("{path}: {}", roster_domain::Error::from(e).message))?;
            patches.push(PatchItem::Ready {
                selector: id.as_str().to_string(),
                patch,
            });
            patch_paths.push(path);
        } else {
            let user = NewUser::parse(b.into_raw_new_user(false)).map_err(at(&path))?;
            creates.push(CreateItem::Ready { id, user });
            create_paths.push(path);
        }
    }
    for (items, paths) in creates
        .chunks(SEED_BATCH)
        .zip(create_paths.chunks(SEED_BATCH))
    {
        let (outcomes, _) = create_users(store, project, items, origin)
            .await
            .context("creating the seeded users")?;
        for (path, outcome) in paths.iter().zip(outcomes) {
            match outcome {
                CreateOutcome::Created(_) => applied.created += 1,
                CreateOutcome::Failed { error, .. } => bail!("{path}: {}", error.message),
            }
        }
    }
    for (items, paths) in patches
        .chunks(SEED_BATCH)
        .zip(patch_paths.chunks(SEED_BATCH))
    {
        let batch = patch_users(store, project, items, origin)
            .await
            .context("updating the seeded users")?;
        for (path, outcome) in paths.iter().zip(batch.outcomes) {
            match outcome {
                PatchOutcome::Patched(u) if existing.get(u.id.as_str()) == Some(&u.version) => {
                    applied.unchanged += 1;
                }
                PatchOutcome::Patched(_) => applied.changed += 1,
                PatchOutcome::Failed { failure, .. } => bail!("{path}: {}", failure.error.message),
                PatchOutcome::Unaddressable { message, .. } => bail!("{path}: {message}"),
            }
        }
    }
    Ok(())
}

/// `roster seed FILE` and `serve --seed FILE`: read the file and apply it. A server
/// that listens beyond loopback (`strong_keys`) refuses a seed whose keys are short,
/// as it refuses a short `ROSTER_MANAGEMENT_KEY`.
pub async fn apply_file(
    store: &dyn Store,
    file: &std::path::Path,
    strong_keys: bool,
    ids: &dyn IdGenerator,
    clock: &dyn Clock,
) -> anyhow::Result<Applied> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the seed {}", file.display()))?;
    let doc = parse(&text).with_context(|| format!("the seed {}", file.display()))?;
    if strong_keys {
        for (p, project) in doc.projects.iter().enumerate() {
            for (k, key) in project.management_keys.iter().enumerate() {
                if ManagementKey::parse(key).is_ok_and(|key| !key.is_strong()) {
                    bail!(
                        "the seed {}: projects[{p}].managementKeys[{k}] is shorter than {} \
                         characters, too easy to guess for a server listening beyond \
                         loopback: use a longer key (for example `openssl rand -hex 32`)",
                        file.display(),
                        roster_domain::keys::MIN_EXPOSED_KEY_CHARS
                    );
                }
            }
        }
    }
    apply(store, &doc, ids, clock)
        .await
        .with_context(|| format!("the seed {}", file.display()))
}

fn count(applied: &mut Applied, created: bool) {
    if created {
        applied.created += 1;
    } else {
        applied.unchanged += 1;
    }
}
