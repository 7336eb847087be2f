//! Management keys through the API, as the SDKs' `management_key` manages them:
//! `PUT /v1/mgmt/managementkey` (create; the key is answered once, as `cleartext`),
//! `PATCH` (update name, description, permitted addresses and status), `GET ?id=`
//! (load), `POST /delete` and `GET /search`; and Roster's own `GET /current`, the key
//! the request carries (the console asks it at sign-in). A key opens only its own project and manages
//! only that project's keys; a read-only key may load and search them, nothing more.

use axum::Json;
use axum::extract::State;
use axum::routing::{get, patch, post, put};
use roster_domain::error::FieldError;
use roster_domain::ids::KeyId;
use roster_domain::keys::{IpRange, ManagementKey, roles_read_only};
use roster_domain::time::Millis;
use roster_domain::{Error, ErrorCode, caps};
use roster_store::{KeyUpdate, StoredKey};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Body, Caller, QueryMap};
use crate::openapi::{Api, Op};
use crate::wire::common::given;
use crate::wire::key::{
    CreateKeyBody, CreatedKey, DeleteKeysBody, DeletedKeys, KeyDto, KeyEnvelope, KeysEnvelope,
    UpdateKeyBody,
};

pub fn api() -> Api {
    const KEY: &str = "/v1/mgmt/managementkey";
    Api::new("Management keys")
        .route(
            Op::put(
                KEY,
                "Create a management key; its secret is answered once, as `cleartext`",
            )
            .body::<CreateKeyBody>()
            .answers::<CreatedKey>(),
            put(create),
        )
        .route(
            Op::patch(KEY, "Update a management key")
                .body::<UpdateKeyBody>()
                .answers::<KeyEnvelope>(),
            patch(update),
        )
        .route(
            Op::get(KEY, "Load a management key")
                .query("id", "The key's ID", true)
                .answers::<KeyEnvelope>(),
            get(load),
        )
        .route(
            Op::post("/v1/mgmt/managementkey/delete", "Delete management keys")
                .body::<DeleteKeysBody>()
                .answers::<DeletedKeys>(),
            post(delete),
        )
        .route(
            Op::get(
                "/v1/mgmt/managementkey/current",
                "The management key this request carries (Roster's own)",
            )
            .describe("Roster's own, not Descope's: the key the request is signed with, as `GET /v1/mgmt/managementkey` answers it. The console calls it to check a sign-in and to learn whether the key is read-only.")
            .answers::<KeyEnvelope>(),
            get(current),
        )
        .route(
            Op::get(
                "/v1/mgmt/managementkey/search",
                "Every management key of the project",
            )
            .answers::<KeysEnvelope>(),
            get(search),
        )
}

fn key_not_found(id: &str) -> Error {
    Error::new(
        ErrorCode::KeyNotFound,
        format!("id: this project has no management key {id:?}"),
    )
}

fn name(s: Option<&str>) -> Result<String, Error> {
    let name = s.ok_or_else(|| Error::missing("name"))?;
    caps::chars("name", name, caps::NAME_CHARS)?;
    Ok(name.to_string())
}

fn description(s: Option<&str>) -> Result<String, Error> {
    let d = s.unwrap_or_default();
    caps::chars("description", d, caps::DESCRIPTION_CHARS)?;
    Ok(d.to_string())
}

fn ranges(list: Option<&Vec<String>>) -> Result<Vec<IpRange>, Error> {
    let list = list.map(Vec::as_slice).unwrap_or_default();
    caps::items("permittedIps", list.len(), caps::TENANT_LIST_ITEMS)?;
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            IpRange::parse(s).map_err(|r| FieldError::new(format!("permittedIps[{i}]"), r).into())
        })
        .collect()
}

/// `PUT /v1/mgmt/managementkey` → `{key, cleartext}`.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<CreateKeyBody>,
) -> ApiResult<Json<CreatedKey>> {
    let now = state.now();
    let name = name(given(&body.name))?;
    let description = description(body.description.set().map(String::as_str))?;
    let permitted_ips = ranges(body.permitted_ips.set())?;
    let rebac = body.re_bac.set().cloned().unwrap_or_default();
    let rebac_bytes = serde_json::to_string(&rebac).map_or(0, |s| s.len());
    if rebac_bytes > caps::TENANT_ATTRIBUTES_BYTES {
        return Err(FieldError::new(
            "reBac",
            format!(
                "must take at most {} bytes as JSON",
                caps::TENANT_ATTRIBUTES_BYTES
            ),
        )
        .into());
    }
    let expires = match body.expires_in.set().map(|s| s.0) {
        None | Some(0) => None,
        Some(s) if s < 0 => {
            return Err(FieldError::new("expiresIn", "must not be negative").into());
        }
        Some(s) => Some(Millis(now.0.saturating_add(s.saturating_mul(1_000)))),
    };
    let read_only = roles_read_only(body.role_names().iter().map(String::as_str));
    let key = ManagementKey::generate(state.ids());
    let stored = StoredKey {
        expires,
        read_only,
        permitted_ips,
        description,
        rebac,
        ..StoredKey::new(KeyId::generate(state.ids()), name, key.hash(), now)
    };
    state
        .store()
        .add_key(&caller.project, &stored, &state.origin(&caller))
        .await?;
    Ok(Json(CreatedKey {
        key: KeyDto::from(&stored),
        cleartext: key.expose().to_string(),
    }))
}

/// `PATCH /v1/mgmt/managementkey` → `{key}`: name, description, permitted addresses and
/// status replace the stored ones.
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<UpdateKeyBody>,
) -> ApiResult<Json<KeyEnvelope>> {
    let id = given(&body.id).ok_or_else(|| Error::missing("id"))?;
    let active = match given(&body.status).unwrap_or("active") {
        "active" => true,
        "inactive" => false,
        other => {
            return Err(FieldError::new(
                "status",
                format!("{other:?} is not \"active\" or \"inactive\""),
            )
            .into());
        }
    };
    let update = KeyUpdate {
        name: name(given(&body.name))?,
        description: description(body.description.set().map(String::as_str))?,
        permitted_ips: ranges(body.permitted_ips.set())?,
        active,
    };
    let key = state
        .store()
        .update_key(
            &caller.project,
            &KeyId::from_stored(id.to_string()),
            &update,
            &state.origin(&caller),
        )
        .await?
        .ok_or_else(|| key_not_found(id))?;
    Ok(Json(KeyEnvelope {
        key: KeyDto::from(&key),
    }))
}

/// `GET /v1/mgmt/managementkey?id=…` → `{key}`.
async fn load(
    State(state): State<AppState>,
    caller: Caller,
    QueryMap(q): QueryMap,
) -> ApiResult<Json<KeyEnvelope>> {
    let id = q
        .get("id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::missing("id"))?;
    let keys = state.store().keys(&caller.project).await?;
    let key = keys
        .iter()
        .find(|k| k.id.as_str() == id)
        .ok_or_else(|| key_not_found(id))?;
    Ok(Json(KeyEnvelope {
        key: KeyDto::from(key),
    }))
}

/// `GET /v1/mgmt/managementkey/current` → `{key}`: the key the request carries.
async fn current(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<KeyEnvelope>> {
    let keys = state.store().keys(&caller.project).await?;
    let key = keys
        .iter()
        .find(|k| k.id == caller.key)
        .ok_or_else(|| key_not_found(caller.key.as_str()))?;
    Ok(Json(KeyEnvelope {
        key: KeyDto::from(key),
    }))
}

/// `POST /v1/mgmt/managementkey/delete` → `{total}`: keys of no such ID are skipped.
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<DeleteKeysBody>,
) -> ApiResult<Json<DeletedKeys>> {
    let ids = body.ids.into_set().unwrap_or_default();
    if ids.is_empty() {
        return Err(Error::missing("ids").into());
    }
    state.limits().check_items("ids", ids.len())?;
    let ids: Vec<KeyId> = ids.into_iter().map(KeyId::from_stored).collect();
    let total = state
        .store()
        .delete_keys(&caller.project, &ids, &state.origin(&caller))
        .await?;
    Ok(Json(DeletedKeys { total }))
}

/// `GET /v1/mgmt/managementkey/search` → `{keys}`: every key of the project, revoked and
/// expired ones included.
async fn search(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<KeysEnvelope>> {
    let keys = state.store().keys(&caller.project).await?;
    Ok(Json(KeysEnvelope {
        keys: keys.iter().map(KeyDto::from).collect(),
    }))
}
