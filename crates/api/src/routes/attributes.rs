//! Custom attribute definition endpoints. Each answers the project's definitions after
//! the change, as `{data, total}`. `update` is Roster's own: Descope's API has no call
//! that changes a definition, and the console edits them.

use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use roster_domain::Error;
use roster_domain::names::AttributeName;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Body, Caller};
use crate::openapi::{Api, Op};
use crate::wire::attribute::{
    AttributeDto, AttributesEnvelope, CreateAttributesBody, DeleteAttributesBody,
};
use crate::wire::common::list;

pub fn api() -> Api {
    Api::new("Custom attributes")
        .route(
            Op::get(
                "/v1/mgmt/user/customattributes",
                "Every custom attribute definition",
            )
            .answers::<AttributesEnvelope>(),
            get(all),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/customattribute/create",
                "Define custom attributes",
            )
            .body::<CreateAttributesBody>()
            .answers::<AttributesEnvelope>(),
            post(create),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/customattribute/update",
                "Replace custom attribute definitions (Roster's own)",
            )
            .describe("Roster's own, not Descope's (Descope's API cannot change a definition). Each item replaces the definition of its `name`, all or none: display name, options, default value, permissions and `required` as given (absent: empty). `type` may be left out; it cannot change. An option may not be taken out while a user holds it (409 `E997409`); an unknown name is 404 `E997404`. No user changes.")
            .body::<CreateAttributesBody>()
            .answers::<AttributesEnvelope>(),
            post(update),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/customattribute/delete",
                "Delete custom attribute definitions (and their values on users)",
            )
            .body::<DeleteAttributesBody>()
            .answers::<AttributesEnvelope>(),
            post(delete),
        )
}

async fn envelope(state: &AppState, caller: &Caller) -> ApiResult<Json<AttributesEnvelope>> {
    let defs = state.store().all_attributes(&caller.project).await?;
    Ok(Json(AttributesEnvelope {
        total: defs.len(),
        data: defs.iter().map(AttributeDto::from).collect(),
    }))
}

async fn all(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<AttributesEnvelope>> {
    envelope(&state, &caller).await
}

/// `POST /v1/mgmt/user/customattribute/create`: `{attributes: [...]}`, all or nothing.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<CreateAttributesBody>,
) -> ApiResult<Json<AttributesEnvelope>> {
    let defs = match body.attributes.set() {
        Some(a) if !a.is_empty() => {
            state.limits().check_items("attributes", a.len())?;
            a.iter()
                .enumerate()
                .map(|(i, a)| a.def(i))
                .collect::<Result<Vec<_>, Error>>()?
        }
        _ => return Err(Error::missing("attributes").into()),
    };
    state
        .store()
        .create_attributes(&caller.project, &defs, &state.origin(&caller))
        .await?;
    envelope(&state, &caller).await
}

/// `POST /v1/mgmt/user/customattribute/update`: `{attributes: [...]}`, all or nothing;
/// an item without `type` keeps the stored one.
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<CreateAttributesBody>,
) -> ApiResult<Json<AttributesEnvelope>> {
    let items = match body.attributes.set() {
        Some(a) if !a.is_empty() => a,
        _ => return Err(Error::missing("attributes").into()),
    };
    state.limits().check_items("attributes", items.len())?;
    let stored = state.store().all_attributes(&caller.project).await?;
    let kind_of = |name: &AttributeName| stored.iter().find(|d| &d.name == name).map(|d| d.kind);
    let defs = items
        .iter()
        .enumerate()
        .map(|(i, a)| a.def_or(i, kind_of))
        .collect::<Result<Vec<_>, Error>>()?;
    state
        .store()
        .update_attributes(&caller.project, &defs, &state.origin(&caller))
        .await?;
    envelope(&state, &caller).await
}

/// `POST /v1/mgmt/user/customattribute/delete`: `{names}`; the values go with them.
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<DeleteAttributesBody>,
) -> ApiResult<Json<AttributesEnvelope>> {
    if body.names.set().is_none() {
        return Err(Error::missing("names").into());
    }
    let names = list(&body.names);
    state.limits().check_items("names", names.len())?;
    state
        .store()
        .delete_attributes(&caller.project, &names, &state.origin(&caller))
        .await?;
    envelope(&state, &caller).await
}
