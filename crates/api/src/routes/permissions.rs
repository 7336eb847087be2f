//! Permission endpoints. Batch forms are all or nothing.

use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use roster_domain::Error;
use roster_domain::ids::PermissionId;

use crate::error::ApiResult;
use crate::extract::{Body, Caller};
use crate::openapi::{Api, Op};
use crate::wire::common::Empty;
use crate::wire::permission::{
    DeletePermissionsBody, PermissionBody, PermissionDto, PermissionsBody, PermissionsEnvelope,
};
use crate::{AppState, Limits};

pub fn api() -> Api {
    Api::new("Permissions")
        .route(
            Op::post("/v1/mgmt/permission/create", "Create a permission")
                .body::<PermissionBody>()
                .answers::<Empty>(),
            post(create),
        )
        .route(
            Op::post(
                "/v1/mgmt/permission/create/batch",
                "Create permissions, all or none",
            )
            .body::<PermissionsBody>()
            .answers::<Empty>(),
            post(create_batch),
        )
        .route(
            Op::post(
                "/v1/mgmt/permission/update",
                "Update a permission; `newName` renames it",
            )
            .body::<PermissionBody>()
            .answers::<Empty>(),
            post(update),
        )
        .route(
            Op::post(
                "/v1/mgmt/permission/update/batch",
                "Update permissions, all or none",
            )
            .body::<PermissionsBody>()
            .answers::<Empty>(),
            post(update_batch),
        )
        .route(
            Op::post(
                "/v1/mgmt/permission/delete",
                "Delete a permission (and its use by roles)",
            )
            .body::<PermissionBody>()
            .answers::<Empty>(),
            post(delete),
        )
        .route(
            Op::post(
                "/v1/mgmt/permission/delete/batch",
                "Delete permissions, all or none",
            )
            .body::<DeletePermissionsBody>()
            .answers::<Empty>(),
            post(delete_batch),
        )
        .route(
            Op::get("/v1/mgmt/permission/all", "Every permission of the project")
                .answers::<PermissionsEnvelope>(),
            get(all),
        )
}

fn required(body: &PermissionsBody, limits: Limits) -> Result<&[PermissionBody], Error> {
    match body.permissions.set() {
        Some(p) if !p.is_empty() => {
            limits.check_items("permissions", p.len())?;
            Ok(p)
        }
        _ => Err(Error::missing("permissions")),
    }
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<PermissionBody>,
) -> ApiResult<Json<Empty>> {
    let (name, description) = body.new_permission()?;
    state
        .store()
        .create_permissions(
            &caller.project,
            &[(PermissionId::generate(state.ids()), name, description)],
            &state.origin(&caller),
        )
        .await?;
    Ok(Json(Empty {}))
}

async fn create_batch(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<PermissionsBody>,
) -> ApiResult<Json<Empty>> {
    let items = required(&body, state.limits())?
        .iter()
        .map(|p| {
            let (name, description) = p.new_permission()?;
            Ok((PermissionId::generate(state.ids()), name, description))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    state
        .store()
        .create_permissions(&caller.project, &items, &state.origin(&caller))
        .await?;
    Ok(Json(Empty {}))
}

/// `POST /v1/mgmt/permission/update`: `newName` renames; the description is replaced
/// (left out, it is removed, as on Descope).
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<PermissionBody>,
) -> ApiResult<Json<Empty>> {
    state
        .store()
        .update_permissions(&caller.project, &[body.update()?], &state.origin(&caller))
        .await?;
    Ok(Json(Empty {}))
}

async fn update_batch(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<PermissionsBody>,
) -> ApiResult<Json<Empty>> {
    let updates = required(&body, state.limits())?
        .iter()
        .map(PermissionBody::update)
        .collect::<Result<Vec<_>, Error>>()?;
    state
        .store()
        .update_permissions(&caller.project, &updates, &state.origin(&caller))
        .await?;
    Ok(Json(Empty {}))
}

/// `POST /v1/mgmt/permission/delete`: 404 when there is no such permission.
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<PermissionBody>,
) -> ApiResult<Json<Empty>> {
    state
        .store()
        .delete_permissions(
            &caller.project,
            &[body.target()?],
            false,
            &state.origin(&caller),
        )
        .await?;
    Ok(Json(Empty {}))
}

/// `POST /v1/mgmt/permission/delete/batch`: permissions that do not exist are skipped.
async fn delete_batch(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<DeletePermissionsBody>,
) -> ApiResult<Json<Empty>> {
    state
        .store()
        .delete_permissions(
            &caller.project,
            &body.targets(state.limits())?,
            true,
            &state.origin(&caller),
        )
        .await?;
    Ok(Json(Empty {}))
}

async fn all(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<PermissionsEnvelope>> {
    let permissions = state.store().all_permissions(&caller.project).await?;
    Ok(Json(PermissionsEnvelope {
        permissions: permissions.iter().map(PermissionDto::from).collect(),
    }))
}
