//! The SDK's one-purpose user endpoints: `POST /v1/mgmt/user/update` (a full replace),
//! `update/status`, `update/loginid`, `update/email`, `update/phone`, `update/name`,
//! `update/picture`, `update/customAttribute`, `update/role/*`, `update/tenant/*`,
//! `update/ssoapp/*`, `update/recovery/*` and `password/*`.
//!
//! Each builds a domain patch (`roster_domain::change`) and sends it through the same
//! flow as `PATCH /v1/mgmt/user/patch` ([`patch_single`]): one transaction, the same
//! rules, `version` and `modifiedTime` moved. The sign-in factors Roster does not hold
//! (passkeys, TOTP, recovery codes, trusted devices, sessions) answer Descope's empty
//! answers for an existing user and 404 `E112102` for an unknown one.

use axum::Json;
use axum::extract::State;
use axum::routing::{MethodRouter, post};
use roster_domain::Error;
use roster_domain::change::{self, ListOp};
use roster_domain::error::FieldError;
use roster_domain::ids::ProjectId;
use roster_domain::password::Password;
use roster_domain::patch::{PasswordChange, PatchItem, PatchOutcome, RawUserPatch, UserPatch};
use roster_store::UserSelector;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Caller, RawBody};
use crate::openapi::{Api, Op};
use crate::wire::common::{Empty, given};
use crate::wire::user::{UserBody, UserDto, UserEnvelope};
use crate::wire::user_change::{
    DevicesAnswer, IdentifiersBody, PasskeysAnswer, RemoveDevicesBody, SignIns, UserChangeBody,
    UserIdList,
};
use crate::{AppState, offload};

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
            Op::post("/v1/mgmt/user/update/status", "Enable or disable a user")
                .body::<B>()
                .answers::<UserEnvelope>(),
            change_route(|b| change::status(B::text(&b.status))),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/loginid",
                "Rename a login ID (an empty `newLoginId` removes it)",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            // `apply` checked the selector; it is the login ID to rename.
            change_route(|b| {
                change::login_id(b.selector().unwrap_or_default(), B::text(&b.new_login_id))
            }),
        )
        .route(
            Op::post("/v1/mgmt/user/update/email", "Set a user's email")
                .body::<B>()
                .answers::<UserEnvelope>(),
            change_route(|b| {
                let fail = B::flag(&b.fail_on_conflict).unwrap_or(false);
                change::email(B::text(&b.email), B::flag(&b.verified), fail)
            }),
        )
        .route(
            Op::post("/v1/mgmt/user/update/phone", "Set a user's phone")
                .body::<B>()
                .answers::<UserEnvelope>(),
            change_route(|b| {
                let fail = B::flag(&b.fail_on_conflict).unwrap_or(false);
                change::phone(B::text(&b.phone), B::flag(&b.verified), fail)
            }),
        )
        .route(
            Op::post("/v1/mgmt/user/update/picture", "Set a user's picture")
                .body::<B>()
                .answers::<UserEnvelope>(),
            change_route(|b| change::picture(B::text(&b.picture))),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/customAttribute",
                "Set one custom attribute",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            change_route(|b| {
                let value = b.attribute_value.set().cloned().unwrap_or(Value::Null);
                change::custom_attribute(B::text(&b.attribute_key), value)
            }),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/role/set",
                "Replace a user's roles (project or tenant)",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            roles_route(ListOp::Set),
        )
        .route(
            Op::post(
                "/v2/mgmt/user/update/role/add",
                "Add roles to a user (project or tenant)",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            roles_route(ListOp::Add),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/role/add",
                "Add roles to a user (project or tenant)",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            roles_route(ListOp::Add),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/role/remove",
                "Remove roles from a user (project or tenant)",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            roles_route(ListOp::Remove),
        )
        .route(
            Op::post("/v1/mgmt/user/update/tenant/add", "Add a user to a tenant")
                .body::<B>()
                .answers::<UserEnvelope>(),
            change_route(|b| change::tenant(true, B::text(&b.tenant_id))),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/tenant/remove",
                "Remove a user from a tenant",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            change_route(|b| change::tenant(false, B::text(&b.tenant_id))),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/ssoapp/set",
                "Replace a user's SSO applications",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            sso_route(ListOp::Set),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/ssoapp/add",
                "Add SSO applications to a user",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            sso_route(ListOp::Add),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/ssoapp/remove",
                "Remove SSO applications from a user",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            sso_route(ListOp::Remove),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/recovery/email",
                "Set a user's recovery email",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            change_route(|b| {
                change::recovery_email(B::text(&b.recovery_email), B::flag(&b.verified))
            }),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/update/recovery/phone",
                "Set a user's recovery phone",
            )
            .body::<B>()
            .answers::<UserEnvelope>(),
            change_route(|b| {
                change::recovery_phone(B::text(&b.recovery_phone), B::flag(&b.verified))
            }),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/password/set/temporary",
                "Set a temporary password (stored hashed)",
            )
            .body::<B>()
            .answers::<Empty>(),
            post(password_temporary),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/password/set/active",
                "Set an active password (stored hashed)",
            )
            .body::<B>()
            .answers::<Empty>(),
            post(password_active),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/password/set",
                "Set a temporary password (the older name)",
            )
            .body::<B>()
            .answers::<Empty>(),
            post(password_temporary),
        )
        .route(
            Op::post("/v1/mgmt/user/password/expire", "Expire a user's password")
                .body::<B>()
                .answers::<Empty>(),
            post(password_expire),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/passkeys/delete",
                "Remove a user's passkeys (Roster holds none)",
            )
            .body::<B>()
            .answers::<Empty>(),
            post(factor_removed),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/passkey/delete",
                "Remove a passkey (Roster holds none)",
            )
            .body::<B>()
            .answers::<Empty>(),
            post(factor_removed),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/totp/delete",
                "Remove a user's TOTP seed (Roster holds none)",
            )
            .body::<B>()
            .answers::<Empty>(),
            post(factor_removed),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/recovery-codes/delete",
                "Remove a user's recovery codes (Roster holds none)",
            )
            .body::<B>()
            .answers::<Empty>(),
            post(factor_removed),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/logout",
                "Sign a user out everywhere (Roster holds no sessions)",
            )
            .body::<B>()
            .answers::<Empty>(),
            post(factor_removed),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/passkeys/list",
                "A user's passkeys (always none)",
            )
            .body::<B>()
            .answers::<PasskeysAnswer>(),
            post(passkeys_list),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/trusteddevices/list",
                "Users' trusted devices (always none)",
            )
            .body::<IdentifiersBody>()
            .answers::<DevicesAnswer>(),
            post(devices_list),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/trusteddevices/remove",
                "Remove trusted devices (Roster holds none)",
            )
            .body::<RemoveDevicesBody>()
            .answers::<Empty>(),
            post(devices_remove),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/history",
                "Users' sign-in history (always empty: Roster signs no one in)",
            )
            .body::<UserIdList>()
            .answers::<SignIns>(),
            post(history),
        )
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

fn selector(body: &UserChangeBody) -> Result<String, Error> {
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

/// Hash the body's password (off the async workers) and set it; `{}` as Descope answers.
async fn set_password(
    state: &AppState,
    caller: &Caller,
    body: UserChangeBody,
    expired: bool,
) -> ApiResult<Json<Empty>> {
    let selector = selector(&body)?;
    let password = given(&body.password).ok_or_else(|| Error::missing("password"))?;
    let password = Password::parse(password)?;
    let ids = state.ids_arc();
    let hash = offload::slow(state, move || password.hash(ids.as_ref())).await?;
    let patch = change::password(PasswordChange::Set { hash, expired });
    patch_single(state, caller, selector, patch)
        .await
        .map(|_| Json(Empty {}))
}

/// `password/set/temporary` and the deprecated `password/set`: stored as expired, so it
/// must be replaced at the next sign-in.
async fn password_temporary(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<UserChangeBody>,
) -> ApiResult<Json<Empty>> {
    set_password(&state, &caller, body, true).await
}

async fn password_active(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<UserChangeBody>,
) -> ApiResult<Json<Empty>> {
    set_password(&state, &caller, body, false).await
}

async fn password_expire(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<UserChangeBody>,
) -> ApiResult<Json<Empty>> {
    let selector = selector(&body)?;
    patch_single(
        &state,
        &caller,
        selector,
        change::password(PasswordChange::Expire),
    )
    .await
    .map(|_| Json(Empty {}))
}

/// The user a factor endpoint names must exist (404 `E112102` otherwise).
async fn must_exist(
    state: &AppState,
    project: &ProjectId,
    selector: UserSelector<'_>,
) -> Result<(), Error> {
    match state.store().load_user(project, selector).await? {
        Some(_) => Ok(()),
        None => {
            let (UserSelector::LoginOrUserId(s) | UserSelector::UserId(s)) = selector;
            Err(Error::user_not_found(s))
        }
    }
}

/// `passkeys/delete`, `passkey/delete`, `totp/delete`, `recovery-codes/delete`,
/// `logout`: Roster holds none of these, so for an existing user there is nothing to
/// remove and the answer is Descope's `{}`.
async fn factor_removed(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<UserChangeBody>,
) -> ApiResult<Json<Empty>> {
    let sel = given(&body.login_id)
        .or_else(|| given(&body.identifier))
        .map(UserSelector::LoginOrUserId)
        .or_else(|| given(&body.user_id).map(UserSelector::UserId))
        .ok_or_else(|| Error::missing("loginId or userId"))?;
    must_exist(&state, &caller.project, sel).await?;
    Ok(Json(Empty {}))
}

async fn passkeys_list(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<UserChangeBody>,
) -> ApiResult<Json<PasskeysAnswer>> {
    let s = selector(&body)?;
    must_exist(&state, &caller.project, UserSelector::LoginOrUserId(&s)).await?;
    Ok(Json(PasskeysAnswer {
        passkeys: Vec::new(),
    }))
}

async fn devices_list(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<IdentifiersBody>,
) -> ApiResult<Json<DevicesAnswer>> {
    let ids = body.identifiers.into_set().unwrap_or_default();
    if ids.is_empty() {
        return Err(Error::missing("identifiers").into());
    }
    state.limits().check_items("identifiers", ids.len())?;
    let found = state.store().load_users(&caller.project, &ids).await?;
    for id in &ids {
        let known = found
            .iter()
            .any(|u| u.id.as_str() == id || u.login_ids.iter().any(|l| l.as_str() == id));
        if !known {
            must_exist(&state, &caller.project, UserSelector::LoginOrUserId(id)).await?;
        }
    }
    Ok(Json(DevicesAnswer {
        devices: Vec::new(),
    }))
}

async fn devices_remove(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<RemoveDevicesBody>,
) -> ApiResult<Json<Empty>> {
    let s = given(&body.identifier)
        .or_else(|| given(&body.login_id))
        .ok_or_else(|| Error::missing("identifier"))?;
    must_exist(&state, &caller.project, UserSelector::LoginOrUserId(s)).await?;
    Ok(Json(Empty {}))
}

/// `POST /v1/mgmt/user/history`: a bare JSON array of user IDs in, a bare array of
/// sign-ins out. Roster signs no one in, so the answer is always `[]`.
async fn history(
    State(state): State<AppState>,
    _caller: Caller,
    RawBody(bytes): RawBody,
) -> ApiResult<Json<SignIns>> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'[') {
        return Err(Error::bad_request("request body: must be a JSON array of user IDs").into());
    }
    let UserIdList(ids) = serde_json::from_slice(&bytes)
        .map_err(|e| Error::bad_request(format!("request body: {e}")))?;
    state.limits().check_items("userIds", ids.len())?;
    Ok(Json(SignIns(Vec::new())))
}
