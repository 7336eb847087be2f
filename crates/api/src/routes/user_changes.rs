//! The SDK's one-purpose user endpoints: `POST /v1/mgmt/user/update` (a full replace),
//! `update/status`, `update/loginid`, `update/email`, `update/phone`, `update/name`,
//! `update/picture`, `update/customAttribute`, `update/role/*`, `update/tenant/*`,
//! `update/ssoapp/*` and `update/recovery/*` (passwords and sign-in factors are in
//! [`super::factors`]).
//!
//! Each builds a domain patch (`roster_domain::change`) and sends it through the same
//! flow as `PATCH /v1/mgmt/user/patch` ([`patch_single`]): one transaction, the same
//! rules, `version` and `modifiedTime` moved.

use axum::Json;
use axum::extract::State;
use axum::routing::{MethodRouter, post};
use roster_domain::Error;
use roster_domain::change::{self, ListOp};
use roster_domain::error::FieldError;
use roster_domain::patch::{PatchItem, PatchOutcome, RawUserPatch, UserPatch};
use serde_json::Value;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Caller};
use crate::openapi::{Api, Op};
use crate::wire::user::{UserBody, UserDto, UserEnvelope};
use crate::wire::user_change::UserChangeBody;

pub fn api() -> Api {
    use UserChangeBody as B;
    Api::new("User changes")
        .route(
            Op::post(
                "/v1/mgmt/user/update",
                "Replace a user: fields not sent are cleared",
            )
            .body::<UserBody>()
            .answers::<UserEnvelope>(),
            post(update),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/name",
                "Set a user's name and its parts",
            )
            .body::<UserBody>()
            .answers::<UserEnvelope>(),
            post(update_name),
        )
        .route(
            change_op("/v1/mgmt/user/update/status", "Enable or disable a user"),
            change_route(|b| change::status(B::text(&b.status))),
        )
        .route(
            change_op(
                "/v1/mgmt/user/update/loginid",
                "Rename a login ID (an empty `newLoginId` removes it)",
            ),
            // `apply` checked the selector; it is the login ID to rename.
            change_route(|b| {
                change::login_id(b.selector().unwrap_or_default(), B::text(&b.new_login_id))
            }),
        )
        .route(
            change_op("/v1/mgmt/user/update/email", "Set a user's email"),
            change_route(|b| {
                let fail = B::flag(&b.fail_on_conflict).unwrap_or(false);
                change::email(B::text(&b.email), B::flag(&b.verified), fail)
            }),
        )
        .route(
            change_op("/v1/mgmt/user/update/phone", "Set a user's phone"),
            change_route(|b| {
                let fail = B::flag(&b.fail_on_conflict).unwrap_or(false);
                change::phone(B::text(&b.phone), B::flag(&b.verified), fail)
            }),
        )
        .route(
            change_op("/v1/mgmt/user/update/picture", "Set a user's picture"),
            change_route(|b| change::picture(B::text(&b.picture))),
        )
        .route(
            change_op(
                "/v1/mgmt/user/update/customAttribute",
                "Set one custom attribute",
            ),
            change_route(|b| {
                let value = b.attribute_value.set().cloned().unwrap_or(Value::Null);
                change::custom_attribute(B::text(&b.attribute_key), value)
            }),
        )
        .route(
            change_op(
                "/v1/mgmt/user/update/role/set",
                "Replace a user's roles (project or tenant)",
            ),
            roles_route(ListOp::Set),
        )
        .route(
            change_op(
                "/v2/mgmt/user/update/role/add",
                "Add roles to a user (project or tenant)",
            ),
            roles_route(ListOp::Add),
        )
        .route(
            change_op(
                "/v1/mgmt/user/update/role/add",
                "Add roles to a user (project or tenant)",
            ),
            roles_route(ListOp::Add),
        )
        .route(
            change_op(
                "/v1/mgmt/user/update/role/remove",
                "Remove roles from a user (project or tenant)",
            ),
            roles_route(ListOp::Remove),
        )
        .route(
            change_op("/v1/mgmt/user/update/tenant/add", "Add a user to a tenant"),
            change_route(|b| change::tenant(true, B::text(&b.tenant_id))),
        )
        .route(
            change_op(
                "/v1/mgmt/user/update/tenant/remove",
                "Remove a user from a tenant",
            ),
            change_route(|b| change::tenant(false, B::text(&b.tenant_id))),
        )
        .route(
            change_op(
                "/v1/mgmt/user/update/ssoapp/set",
                "Replace a user's SSO applications",
            ),
            sso_route(ListOp::Set),
        )
        .route(
            change_op(
                "/v1/mgmt/user/update/ssoapp/add",
                "Add SSO applications to a user",
            ),
            sso_route(ListOp::Add),
        )
        .route(
            change_op(
                "/v1/mgmt/user/update/ssoapp/remove",
                "Remove SSO applications from a user",
            ),
            sso_route(ListOp::Remove),
        )
        .route(
            change_op(
                "/v1/mgmt/user/update/recovery/email",
                "Set a user's recovery email",
            ),
            change_route(|b| {
                change::recovery_email(B::text(&b.recovery_email), B::flag(&b.verified))
            }),
        )
        .route(
            change_op(
                "/v1/mgmt/user/update/recovery/phone",
                "Set a user's recovery phone",
            ),
            change_route(|b| {
                change::recovery_phone(B::text(&b.recovery_phone), B::flag(&b.verified))
            }),
        )
}

/// The description of a one-purpose change: a `UserChangeBody` in, the user out.
fn change_op(path: &'static str, summary: &str) -> Op {
    Op::post(path, summary)
        .body::<UserChangeBody>()
        .answers::<UserEnvelope>()
}

/// `POST` of a one-purpose change: read the selector, build the patch from the body
/// with `build`, apply it.
fn change_route<F>(build: F) -> MethodRouter<AppState>
where
    F: Fn(UserChangeBody) -> Result<UserPatch, FieldError> + Clone + Send + Sync + 'static,
{
    post(
        move |State(state): State<AppState>, caller: Caller, Body(body): Body<UserChangeBody>| async move {
            let selector = selector(&body)?;
            let patch = build(body)?;
            patch_single(&state, &caller, selector, patch).await
        },
    )
}

/// `update/role/set`, `add`, `remove`, with or without a tenant.
fn roles_route(op: ListOp) -> MethodRouter<AppState> {
    change_route(move |b| {
        let names = b.role_names.set().cloned().unwrap_or_default();
        change::roles(op, UserChangeBody::text(&b.tenant_id), names)
    })
}

/// `update/ssoapp/set`, `add`, `remove`.
fn sso_route(op: ListOp) -> MethodRouter<AppState> {
    change_route(move |mut b| change::sso_apps(op, b.sso_app_ids()))
}

/// Patch one user: the flow every single-user change shares, committed together with
/// the project's other single patches in flight (`roster_store::group`). Failures are
/// the response's error (404 `E112102` for an unknown user, 400 for a broken rule, 409
/// for a taken login ID).
pub(crate) async fn patch_single(
    state: &AppState,
    caller: &Caller,
    selector: String,
    patch: UserPatch,
) -> ApiResult<Json<UserEnvelope>> {
    let item = PatchItem::Ready { selector, patch };
    let (outcome, catalog) = state
        .group_commit()
        .patch(
            state.store().clone(),
            &caller.project,
            item,
            state.origin(caller),
        )
        .await?;
    match outcome {
        PatchOutcome::Patched(u) => Ok(Json(UserEnvelope {
            user: UserDto::render(&u, &catalog),
        })),
        PatchOutcome::Failed { failure, .. } => Err(ApiError(failure.error)),
        PatchOutcome::Unaddressable { .. } => Err(ApiError(Error::internal())),
    }
}

pub(crate) fn selector(body: &UserChangeBody) -> Result<String, Error> {
    body.selector()
        .map(str::to_string)
        .ok_or_else(|| Error::missing("loginId"))
}

/// `POST /v1/mgmt/user/update`: a full replace (see `change::replace` for what an
/// absent field becomes).
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<UserBody>,
) -> ApiResult<Json<UserEnvelope>> {
    let selector = body
        .selector()
        .ok_or_else(|| Error::missing("loginId"))?
        .to_string();
    let patch = change::replace(body.into_raw_patch())?;
    patch_single(&state, &caller, selector, patch).await
}

/// `update/name`: `displayName` (or `name`), `givenName`, `middleName`, `familyName`;
/// each absent one stays, `""` clears.
async fn update_name(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<UserBody>,
) -> ApiResult<Json<UserEnvelope>> {
    let selector = body
        .selector()
        .ok_or_else(|| Error::missing("loginId"))?
        .to_string();
    let all = body.into_raw_patch();
    let names = RawUserPatch {
        name: all.name,
        given_name: all.given_name,
        middle_name: all.middle_name,
        family_name: all.family_name,
        ..RawUserPatch::default()
    };
    let patch = UserPatch::parse(names)?;
    patch_single(&state, &caller, selector, patch).await
}
