//! Tenant endpoints. `GET /v1/mgmt/tenant` and `GET /v1/mgmt/tenant/settings` answer
//! their object flat at the root (Descope's gateway uses protobuf's `response_body`
//! there). Every change of an existing tenant is a `TenantChange` the store applies to
//! the tenant as it stands, in one transaction.

use axum::Json;
use axum::extract::State;
use axum::routing::{get, patch, post};
use roster_domain::error::FieldError;
use roster_domain::ids::TenantId;
use roster_domain::{Error, ErrorCode};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Body, Caller, QueryMap};
use crate::openapi::{Api, Op};
use crate::wire::common::{Empty, flag, given};
use crate::wire::tenant::{
    CreatedTenant, DefaultRolesBody, DeleteTenantBody, SettingsAnswer, SettingsBody, TenantBody,
    TenantDto, TenantSearchBody, TenantsEnvelope, settings_answer, settings_patch,
};
use roster_domain::tenant::{Tenant, TenantChange};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub fn api() -> Api {
    const ID: &str = "The tenant's ID";
    Api::new("Tenants")
        .route(
            Op::post(
                "/v1/mgmt/tenant/create",
                "Create a tenant (its ID given or generated)",
            )
            .body::<TenantBody>()
            .answers::<CreatedTenant>(),
            post(create),
        )
        .route(
            Op::post("/v1/mgmt/tenant/update", "Replace a tenant's fields")
                .body::<TenantBody>()
                .answers::<Empty>(),
            post(update),
        )
        .route(
            Op::post(
                "/v1/mgmt/tenant/delete",
                "Delete a tenant; `cascade` deletes its users",
            )
            .body::<DeleteTenantBody>()
            .answers::<Empty>(),
            post(delete),
        )
        .route(
            Op::get("/v1/mgmt/tenant", "Load a tenant")
                .query("id", ID, true)
                .answers::<TenantDto>(),
            get(load),
        )
        .route(
            Op::get("/v1/mgmt/tenant/all", "Every tenant of the project")
                .answers::<TenantsEnvelope>(),
            get(all),
        )
        .route(
            Op::post("/v1/mgmt/tenant/search", "Search tenants")
                .body::<TenantSearchBody>()
                .answers::<TenantsEnvelope>(),
            post(search),
        )
        .route(
            Op::patch("/v1/mgmt/tenant/patch", "Change the fields a request names")
                .body::<TenantBody>()
                .answers::<Empty>(),
            patch(patch_tenant),
        )
        .route(
            Op::post(
                "/v1/mgmt/tenant/patch",
                "Change the fields a request names (POST form)",
            )
            .body::<TenantBody>()
            .answers::<Empty>(),
            post(patch_tenant),
        )
        .route(
            Op::post(
                "/v1/mgmt/tenant/updateDefaultRoles",
                "Set the roles new members get",
            )
            .body::<DefaultRolesBody>()
            .answers::<Empty>(),
            post(default_roles),
        )
        .route(
            Op::get("/v1/mgmt/tenant/settings", "A tenant's session settings")
                .query("id", ID, true)
                .answers::<SettingsAnswer>(),
            get(load_settings),
        )
        .route(
            Op::post(
                "/v1/mgmt/tenant/settings",
                "Change a tenant's session settings",
            )
            .body::<SettingsBody>()
            .answers::<Empty>(),
            post(configure_settings),
        )
}

fn required_id(id: Option<&str>) -> Result<TenantId, Error> {
    let id = id.ok_or_else(|| Error::missing("id"))?;
    TenantId::parse(id).map_err(|r| FieldError::new("id", r).into())
}

/// `POST /v1/mgmt/tenant/create` → `{id}`; the ID is generated when none is given.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<TenantBody>,
) -> ApiResult<Json<CreatedTenant>> {
    let spec = body.spec()?;
    let id = body
        .id()?
        .unwrap_or_else(|| TenantId::generate(state.ids()));
    state
        .store()
        .create_tenant(&caller.project, &id, &spec, &state.origin(&caller))
        .await?;
    Ok(Json(CreatedTenant {
        id: id.into_string(),
    }))
}

/// `POST /v1/mgmt/tenant/update`: replaces every field but the parent.
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<TenantBody>,
) -> ApiResult<Json<Empty>> {
    let id = required_id(given(&body.id))?;
    let spec = body.spec()?;
    state
        .store()
        .update_tenant(
            &caller.project,
            &id,
            &TenantChange::Replace(spec),
            &state.origin(&caller),
        )
        .await?;
    Ok(Json(Empty {}))
}

/// `PATCH /v1/mgmt/tenant/patch` (the Python SDK's `patch_tenant`): only the fields
/// given change.
async fn patch_tenant(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<TenantBody>,
) -> ApiResult<Json<Empty>> {
    let id = required_id(given(&body.id))?;
    let change = TenantChange::Patch(body.patch()?);
    state
        .store()
        .update_tenant(&caller.project, &id, &change, &state.origin(&caller))
        .await?;
    Ok(Json(Empty {}))
}

/// `POST /v1/mgmt/tenant/updateDefaultRoles`: `{id, defaultRoles}`.
async fn default_roles(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<DefaultRolesBody>,
) -> ApiResult<Json<Empty>> {
    let id = required_id(given(&body.id))?;
    let change = TenantChange::Patch(body.patch()?);
    state
        .store()
        .update_tenant(&caller.project, &id, &change, &state.origin(&caller))
        .await?;
    Ok(Json(Empty {}))
}

fn tenant_not_found(id: &TenantId) -> Error {
    Error::new(
        ErrorCode::TenantNotFound,
        format!("tenant {:?} does not exist", id.as_str()),
    )
}

/// The tenant `?id=…` names (404 `E991404` when there is none).
async fn tenant_of_query(
    state: &AppState,
    caller: &Caller,
    q: &HashMap<String, String>,
) -> Result<Tenant, Error> {
    let id = required_id(q.get("id").map(String::as_str).filter(|s| !s.is_empty()))?;
    state
        .store()
        .load_tenant(&caller.project, &id)
        .await?
        .ok_or_else(|| tenant_not_found(&id))
}

/// `GET /v1/mgmt/tenant/settings?id=…`: the settings object, flat at the root.
async fn load_settings(
    State(state): State<AppState>,
    caller: Caller,
    QueryMap(q): QueryMap,
) -> ApiResult<Json<Map<String, Value>>> {
    let tenant = tenant_of_query(&state, &caller, &q).await?;
    Ok(Json(settings_answer(&tenant)))
}

/// `POST /v1/mgmt/tenant/settings`: `{tenantId, …}`; keys given change, the rest stay.
async fn configure_settings(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<Map<String, Value>>,
) -> ApiResult<Json<Empty>> {
    let id = body
        .get("tenantId")
        .or_else(|| body.get("id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::missing("tenantId"))?;
    let id = TenantId::parse(id).map_err(|r| FieldError::new("tenantId", r))?;
    let change = TenantChange::Patch(settings_patch(&body)?);
    state
        .store()
        .update_tenant(&caller.project, &id, &change, &state.origin(&caller))
        .await?;
    Ok(Json(Empty {}))
}

/// `POST /v1/mgmt/tenant/delete`: `{id, cascade}`.
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<DeleteTenantBody>,
) -> ApiResult<Json<Empty>> {
    let id = required_id(given(&body.id))?;
    state
        .store()
        .delete_tenant(
            &caller.project,
            &id,
            flag(&body.cascade),
            &state.origin(&caller),
        )
        .await?;
    Ok(Json(Empty {}))
}

/// `GET /v1/mgmt/tenant?id=…`.
async fn load(
    State(state): State<AppState>,
    caller: Caller,
    QueryMap(q): QueryMap,
) -> ApiResult<Json<TenantDto>> {
    let tenant = tenant_of_query(&state, &caller, &q).await?;
    Ok(Json(TenantDto::from(&tenant)))
}

/// `GET /v1/mgmt/tenant/all`.
async fn all(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<TenantsEnvelope>> {
    let tenants = state.store().all_tenants(&caller.project).await?;
    Ok(Json(TenantsEnvelope {
        tenants: tenants.iter().map(TenantDto::from).collect(),
    }))
}

/// `POST /v1/mgmt/tenant/search`: no match is an empty list, not an error.
async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<TenantSearchBody>,
) -> ApiResult<Json<TenantsEnvelope>> {
    let query = body.query();
    let tenants = state.store().all_tenants(&caller.project).await?;
    Ok(Json(TenantsEnvelope {
        tenants: tenants
            .iter()
            .filter(|t| query.matches(t))
            .map(TenantDto::from)
            .collect(),
    }))
}
