//! Single-user endpoints: create, load, load many, search, delete.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{delete, get, post};
use roster_domain::Error;
use roster_domain::create::NewUser;
use roster_domain::ids::UserId;
use roster_store::UserSelector;
use roster_store::batch::{CreateItem, CreateOutcome, create_users};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Caller, QueryMap};
use crate::openapi::{Api, Op};
use crate::wire::answers::UsersAnswer;
use crate::wire::common::{Empty, given, list};
use crate::wire::search::SearchBody;
use crate::wire::user::{
    DeleteUserBody, DeleteUsersBody, LoadUsersBody, UserBody, UserDto, UserEnvelope,
};
use crate::{AppState, offload};

pub fn api() -> Api {
    const SEARCH: &str = "Users that match every filter given, sorted and paged; `total` counts them all. Text filters match exactly, or as a substring with `text`.";
    Api::new("Users")
        .route(
            Op::post("/v1/mgmt/user/create", "Create a user")
                .body::<UserBody>()
                .answers::<UserEnvelope>(),
            post(create),
        )
        .route(
            Op::post("/v1/mgmt/user/create/test", "Create a test user")
                .body::<UserBody>()
                .answers::<UserEnvelope>(),
            post(create_test),
        )
        .route(
            Op::get("/v1/mgmt/user", "Load a user by login ID or user ID")
                .query("loginId", "A login ID of the user (or its user ID)", false)
                .query("identifier", "Alias of `loginId`", false)
                .query("userId", "The user's ID", false)
                .answers::<UserEnvelope>(),
            get(load),
        )
        .route(
            Op::post("/v1/mgmt/users/load", "Load users by user ID")
                .body::<LoadUsersBody>()
                .answers::<UsersAnswer>(),
            post(load_many),
        )
        .route(
            Op::post(
                "/v2/mgmt/user/search",
                "Search users (test users only when asked)",
            )
            .describe(SEARCH)
            .body::<SearchBody>()
            .answers::<UsersAnswer>(),
            post(search),
        )
        .route(
            Op::post("/v2/mgmt/user/search/test", "Search test users")
                .describe(SEARCH)
                .body::<SearchBody>()
                .answers::<UsersAnswer>(),
            post(search_test),
        )
        .route(
            Op::post(
                "/v1/mgmt/user/delete",
                "Delete a user (no error when there is none)",
            )
            .body::<DeleteUserBody>()
            .answers::<Empty>(),
            post(delete_one),
        )
        .route(
            Op::post("/v1/mgmt/user/delete/batch", "Delete users by user ID")
                .body::<DeleteUsersBody>()
                .answers::<Empty>(),
            post(delete_many),
        )
        .route(
            Op::delete("/v1/mgmt/user/test/delete/all", "Delete every test user")
                .answers::<Empty>(),
            delete(delete_test_users),
        )
}

async fn create_one(
    state: &AppState,
    caller: &Caller,
    body: UserBody,
    test: bool,
) -> ApiResult<Json<UserEnvelope>> {
    let user = NewUser::parse(body.into_raw_new_user(test))?;
    let item = CreateItem::Ready {
        id: UserId::generate(state.ids()),
        user,
    };
    let (mut out, catalog) = create_users(
        state.store().as_ref(),
        &caller.project,
        &[item],
        &state.origin(caller),
    )
    .await?;
    match out.pop() {
        Some(CreateOutcome::Created(u)) => Ok(Json(UserEnvelope {
            user: UserDto::render(&u, &catalog),
        })),
        Some(CreateOutcome::Failed { error, .. }) => Err(ApiError(error)),
        None => Err(ApiError(Error::internal())),
    }
}

/// `POST /v1/mgmt/user/create`. Invite options are accepted; no message is sent.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<UserBody>,
) -> ApiResult<Json<UserEnvelope>> {
    create_one(&state, &caller, body, false).await
}

/// `POST /v1/mgmt/user/create/test`: the same, as a test user.
async fn create_test(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<UserBody>,
) -> ApiResult<Json<UserEnvelope>> {
    create_one(&state, &caller, body, true).await
}

/// `GET /v1/mgmt/user?loginId=…` (a login ID or a user ID), `?identifier=…` (the same)
/// or `?userId=…`. The Go SDK sends `loginId` and `userId` both, one of them empty.
async fn load(
    State(state): State<AppState>,
    caller: Caller,
    QueryMap(q): QueryMap,
) -> ApiResult<Json<UserEnvelope>> {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let selector = get("loginId")
        .or_else(|| get("identifier"))
        .map(UserSelector::LoginOrUserId)
        .or_else(|| get("userId").map(UserSelector::UserId))
        .ok_or_else(|| Error::missing("loginId or userId"))?;
    // The user and the catalog that renders it are read side by side: the catalog is
    // most often the one kept at the version the key check read, and otherwise, on a
    // store whose reads are round trips (PostgreSQL), read on another connection at
    // once, so the answer waits for the slower read, not for both in turn.
    let store = state.store();
    let (user, catalog) = tokio::try_join!(
        store.load_user(&caller.project, selector),
        store.catalog_seen(&caller.project, caller.catalog_seen)
    )?;
    let user = user.ok_or_else(|| {
        Error::user_not_found(match selector {
            UserSelector::LoginOrUserId(s) | UserSelector::UserId(s) => s,
        })
    })?;
    Ok(Json(UserEnvelope {
        user: UserDto::render(&user, &catalog),
    }))
}

/// `POST /v1/mgmt/users/load`: users by ID; disabled and expired users only with
/// `includeInvalidUsers`. Unknown IDs are left out.
async fn load_many(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<LoadUsersBody>,
) -> ApiResult<Response> {
    let ids = list(&body.user_ids);
    if ids.is_empty() {
        return Err(Error::missing("userIds").into());
    }
    state.limits().check_items("userIds", ids.len())?;
    let include_invalid = body.include_invalid_users.set().copied().unwrap_or(false);
    let store = state.store();
    let (mut users, catalog) = tokio::try_join!(
        store.load_users(&caller.project, &ids),
        store.catalog_seen(&caller.project, caller.catalog_seen)
    )?;
    users.retain(|u| include_invalid || u.status.is_valid());
    let items = users.len();
    Ok(offload::json(
        &state,
        UsersAnswer {
            total: users.len() as u64,
            users,
            catalog,
        },
        items,
    ))
}

async fn run_search(
    state: &AppState,
    caller: &Caller,
    body: SearchBody,
    test_only: bool,
) -> ApiResult<Response> {
    let roles = if body.tenant_role_ids.set().is_some() {
        state.store().all_roles(&caller.project).await?
    } else {
        Vec::new()
    };
    let query = body.into_query(&roles, test_only)?;
    let store = state.store();
    let ((users, total), catalog) = tokio::try_join!(
        store.search_users(&caller.project, &query, state.limits().search_timeout),
        store.catalog_seen(&caller.project, caller.catalog_seen)
    )?;
    let items = users.len();
    Ok(offload::json(
        state,
        UsersAnswer {
            users,
            total,
            catalog,
        },
        items,
    ))
}

/// `POST /v2/mgmt/user/search`.
async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<SearchBody>,
) -> ApiResult<Response> {
    run_search(&state, &caller, body, false).await
}

/// `POST /v2/mgmt/user/search/test`: test users only.
async fn search_test(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<SearchBody>,
) -> ApiResult<Response> {
    run_search(&state, &caller, body, true).await
}

/// `POST /v1/mgmt/user/delete`: `{loginId}` (login ID or user ID) or `{userId}`.
async fn delete_one(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<DeleteUserBody>,
) -> ApiResult<Json<Empty>> {
    let selector = given(&body.login_id)
        .or_else(|| given(&body.identifier))
        .map(UserSelector::LoginOrUserId)
        .or_else(|| given(&body.user_id).map(UserSelector::UserId))
        .ok_or_else(|| Error::missing("loginId or userId"))?;
    if state
        .store()
        .delete_user(&caller.project, selector, &state.origin(&caller))
        .await?
    {
        Ok(Json(Empty {}))
    } else {
        let (UserSelector::LoginOrUserId(s) | UserSelector::UserId(s)) = selector;
        Err(Error::user_not_found(s).into())
    }
}

/// `POST /v1/mgmt/user/delete/batch`: `{userIds}`; IDs of no user are skipped.
async fn delete_many(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<DeleteUsersBody>,
) -> ApiResult<Json<Empty>> {
    if body.user_ids.set().is_none() {
        return Err(Error::missing("userIds").into());
    }
    let ids = list(&body.user_ids);
    state.limits().check_items("userIds", ids.len())?;
    state
        .store()
        .delete_users(&caller.project, &ids, &state.origin(&caller))
        .await?;
    Ok(Json(Empty {}))
}

/// `DELETE /v1/mgmt/user/test/delete/all`.
async fn delete_test_users(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Empty>> {
    state
        .store()
        .delete_test_users(&caller.project, &state.origin(&caller))
        .await?;
    Ok(Json(Empty {}))
}
