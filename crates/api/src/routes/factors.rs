//! Passwords and the sign-in factors: `password/*`, and the endpoints of factors Roster
//! does not hold (passkeys, TOTP, recovery codes, trusted devices, sessions, sign-in
//! history).
//!
//! A password is hashed (Argon2id) off the async workers and set through the same flow
//! as every single-user change ([`patch_single`]). The factors answer Descope's empty
//! answers for an existing user and 404 `E112102` for an unknown one.

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use roster_domain::Error;
use roster_domain::change;
use roster_domain::ids::ProjectId;
use roster_domain::password::Password;
use roster_domain::patch::PasswordChange;
use roster_store::UserSelector;

use super::user_changes::{patch_single, selector};
use crate::error::ApiResult;
use crate::extract::{Body, Caller, RawBody};
use crate::openapi::{Api, Op};
use crate::wire::common::{Empty, given};
use crate::wire::user_change::{
    DevicesAnswer, IdentifiersBody, PasskeysAnswer, RemoveDevicesBody, SignIns, UserChangeBody,
    UserIdList,
};
use crate::{AppState, offload};

pub fn api() -> Api {
    use UserChangeBody as B;
    Api::new("Passwords and sign-in factors")
        .route(
            quiet_op(
                "/v1/mgmt/user/password/set/temporary",
                "Set a temporary password (stored hashed)",
            ),
            post(password_temporary),
        )
        .route(
            quiet_op(
                "/v1/mgmt/user/password/set/active",
                "Set an active password (stored hashed)",
            ),
            post(password_active),
        )
        .route(
            quiet_op(
                "/v1/mgmt/user/password/set",
                "Set a temporary password (the older name)",
            ),
            post(password_temporary),
        )
        .route(
            quiet_op("/v1/mgmt/user/password/expire", "Expire a user's password"),
            post(password_expire),
        )
        .route(
            quiet_op(
                "/v1/mgmt/user/passkeys/delete",
                "Remove a user's passkeys (Roster holds none)",
            ),
            post(factor_removed),
        )
        .route(
            quiet_op(
                "/v1/mgmt/user/passkey/delete",
                "Remove a passkey (Roster holds none)",
            ),
            post(factor_removed),
        )
        .route(
            quiet_op(
                "/v1/mgmt/user/totp/delete",
                "Remove a user's TOTP seed (Roster holds none)",
            ),
            post(factor_removed),
        )
        .route(
            quiet_op(
                "/v1/mgmt/user/recovery-codes/delete",
                "Remove a user's recovery codes (Roster holds none)",
            ),
            post(factor_removed),
        )
        .route(
            quiet_op(
                "/v1/mgmt/user/logout",
                "Sign a user out everywhere (Roster holds no sessions)",
            ),
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

/// The description of a change that answers `{}`: a `UserChangeBody` in.
fn quiet_op(path: &'static str, summary: &str) -> Op {
    Op::post(path, summary)
        .body::<UserChangeBody>()
        .answers::<Empty>()
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
