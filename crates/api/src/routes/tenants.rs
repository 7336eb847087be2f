//! Tenant endpoints. `GET /v1/mgmt/tenant` answers the tenant object flat at the root
//! (Descope's gateway uses protobuf's `response_body` there).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use roster_domain::error::FieldError;
use roster_domain::ids::TenantId;
use roster_domain::{Error, ErrorCode};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Body, Caller, QueryMap};
use crate::wire::common::{Empty, flag, given};
use crate::wire::tenant::{
    CreatedTenant, DeleteTenantBody, TenantBody, TenantDto, TenantSearchBody, TenantsEnvelope,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/mgmt/tenant/create", post(create))
        .route("/v1/mgmt/tenant/update", post(update))
        .route("/v1/mgmt/tenant/delete", post(delete))
        .route("/v1/mgmt/tenant", get(load))
        .route("/v1/mgmt/tenant/all", get(all))
        .route("/v1/mgmt/tenant/search", post(search))
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
        .create_tenant(&caller.project, &id, &spec, state.now())
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
        .update_tenant(&caller.project, &id, &spec)
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
        .delete_tenant(&caller.project, &id, flag(&body.cascade))
        .await?;
    Ok(Json(Empty {}))
}

/// `GET /v1/mgmt/tenant?id=…`.
async fn load(
    State(state): State<AppState>,
    caller: Caller,
    QueryMap(q): QueryMap,
) -> ApiResult<Json<TenantDto>> {
    let id = required_id(q.get("id").map(String::as_str).filter(|s| !s.is_empty()))?;
    let tenant = state
        .store()
        .load_tenant(&caller.project, &id)
        .await?
        .ok_or_else(|| {
            Error::new(
                ErrorCode::TenantNotFound,
                format!("tenant {:?} does not exist", id.as_str()),
            )
        })?;
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
