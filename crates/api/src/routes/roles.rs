//! Role endpoints. Batch forms are all or nothing.

use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use roster_domain::Error;
use roster_domain::ids::RoleId;
use roster_domain::role::Role;

use crate::error::ApiResult;
use crate::extract::{Body, Caller};
use crate::openapi::{Api, Op};
use crate::wire::common::Empty;
use crate::wire::role::{
    DeleteRolesBody, RoleBody, RoleDto, RoleSearchBody, RolesBody, RolesEnvelope,
};
use crate::{AppState, Limits};

pub fn api() -> Api {
    Api::new("Roles")
        .route(
            Op::post("/v1/mgmt/role/create", "Create a role")
                .body::<RoleBody>()
                .answers::<RoleDto>(),
            post(create),
        )
        .route(
            Op::post("/v1/mgmt/role/create/batch", "Create roles, all or none")
                .body::<RolesBody>()
                .answers::<RolesEnvelope>(),
            post(create_batch),
        )
        .route(
            Op::post(
                "/v1/mgmt/role/update",
                "Replace a role; `newName` renames it",
            )
            .body::<RoleBody>()
            .answers::<Empty>(),
            post(update),
        )
        .route(
            Op::post("/v1/mgmt/role/update/batch", "Replace roles, all or none")
                .body::<RolesBody>()
                .answers::<RolesEnvelope>(),
            post(update_batch),
        )
        .route(
            Op::post("/v1/mgmt/role/delete", "Delete a role")
                .body::<RoleBody>()
                .answers::<Empty>(),
            post(delete),
        )
        .route(
            Op::post("/v1/mgmt/role/delete/batch", "Delete roles, all or none")
                .body::<DeleteRolesBody>()
                .answers::<Empty>(),
            post(delete_batch),
        )
        .route(
            Op::get("/v1/mgmt/role/all", "Every role of the project").answers::<RolesEnvelope>(),
            get(all),
        )
        .route(
            Op::post("/v1/mgmt/role/search", "Search roles")
                .body::<RoleSearchBody>()
                .answers::<RolesEnvelope>(),
            post(search),
        )
}

fn required(body: &RolesBody, limits: Limits) -> Result<Vec<&RoleBody>, Error> {
    match body.roles.set() {
        Some(roles) if !roles.is_empty() => {
            limits.check_items("roles", roles.len())?;
            Ok(roles.iter().collect())
        }
        _ => Err(Error::missing("roles")),
    }
}

async fn created(state: &AppState, caller: &Caller, ids: &[RoleId]) -> Result<Vec<Role>, Error> {
    let mut all: std::collections::HashMap<RoleId, Role> = state
        .store()
        .all_roles(&caller.project)
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    Ok(ids.iter().filter_map(|id| all.remove(id)).collect())
}

/// `POST /v1/mgmt/role/create` → the role.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<RoleBody>,
) -> ApiResult<Json<RoleDto>> {
    let id = RoleId::generate(state.ids());
    state
        .store()
        .create_roles(
            &caller.project,
            &[(id.clone(), body.spec()?)],
            &state.origin(&caller),
        )
        .await?;
    let role = created(&state, &caller, &[id])
        .await?
        .pop()
        .ok_or_else(Error::internal)?;
    Ok(Json(RoleDto::from(&role)))
}

/// `POST /v1/mgmt/role/create/batch` → `{roles}`.
async fn create_batch(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<RolesBody>,
) -> ApiResult<Json<RolesEnvelope>> {
    let specs = required(&body, state.limits())?
        .into_iter()
        .map(|r| Ok((RoleId::generate(state.ids()), r.spec()?)))
        .collect::<Result<Vec<_>, Error>>()?;
    state
        .store()
        .create_roles(&caller.project, &specs, &state.origin(&caller))
        .await?;
    let ids: Vec<RoleId> = specs.into_iter().map(|(id, _)| id).collect();
    let roles = created(&state, &caller, &ids).await?;
    Ok(Json(RolesEnvelope {
        roles: roles.iter().map(RoleDto::from).collect(),
    }))
}

/// `POST /v1/mgmt/role/update`: replaces description, permissions and flags; `newName`
/// renames (absent or empty keeps the name).
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<RoleBody>,
) -> ApiResult<Json<Empty>> {
    state
        .store()
        .update_roles(&caller.project, &[body.update()?], &state.origin(&caller))
        .await?;
    Ok(Json(Empty {}))
}

/// `POST /v1/mgmt/role/update/batch` → `{roles}` (all roles of the project).
async fn update_batch(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<RolesBody>,
) -> ApiResult<Json<RolesEnvelope>> {
    let updates = required(&body, state.limits())?
        .into_iter()
        .map(RoleBody::update)
        .collect::<Result<Vec<_>, Error>>()?;
    state
        .store()
        .update_roles(&caller.project, &updates, &state.origin(&caller))
        .await?;
    let roles = state.store().all_roles(&caller.project).await?;
    Ok(Json(RolesEnvelope {
        roles: roles.iter().map(RoleDto::from).collect(),
    }))
}

/// `POST /v1/mgmt/role/delete`: `{name, tenantId}` or `{id}`; 404 when there is none.
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<RoleBody>,
) -> ApiResult<Json<Empty>> {
    state
        .store()
        .delete_roles(
            &caller.project,
            &[body.target()?],
            false,
            &state.origin(&caller),
        )
        .await?;
    Ok(Json(Empty {}))
}

/// `POST /v1/mgmt/role/delete/batch`: roles that do not exist are skipped; an empty
/// filter is refused (Descope would delete every role).
async fn delete_batch(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<DeleteRolesBody>,
) -> ApiResult<Json<Empty>> {
    state
        .store()
        .delete_roles(
            &caller.project,
            &body.targets(state.limits())?,
            true,
            &state.origin(&caller),
        )
        .await?;
    Ok(Json(Empty {}))
}

/// `GET /v1/mgmt/role/all`: project roles and tenant roles.
async fn all(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<RolesEnvelope>> {
    let roles = state.store().all_roles(&caller.project).await?;
    Ok(Json(RolesEnvelope {
        roles: roles.iter().map(RoleDto::from).collect(),
    }))
}

/// `POST /v1/mgmt/role/search`.
async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<RoleSearchBody>,
) -> ApiResult<Json<RolesEnvelope>> {
    let query = body.query();
    let roles = state.store().all_roles(&caller.project).await?;
    Ok(Json(RolesEnvelope {
        roles: roles
            .iter()
            .filter(|r| query.matches(r))
            .map(RoleDto::from)
            .collect(),
    }))
}
