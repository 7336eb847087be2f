//! The batch endpoints: `PATCH /v1/mgmt/user/patch/batch` (the reason Roster exists),
//! the single `PATCH /v1/mgmt/user/patch`, and `POST /v1/mgmt/user/create/batch`.
//!
//! A batch body is checked whole first: malformed JSON (400 `E011001`), `users` missing
//! (400 `E011002`) or not a list (400 `E011004`), more items than `--max-batch-items`
//! (413 `E990414`) change nothing. Then each item is read on its own, so that one bad item
//! fails alone: an item with no usable `loginId` goes to `additionalErrors` under
//! `users[<index>]`; an item whose fields cannot be read, or that breaks a rule, goes to
//! `failedUsers` with the stored user. The rest is the domain's and the store's.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{patch, post};
use roster_domain::Error;
use roster_domain::create::NewUser;
use roster_domain::ids::UserId;
use roster_domain::patch::{PatchItem, UserPatch};
use roster_store::batch::{CreateItem, CreateOutcome, create_users, patch_users};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::ApiResult;
use crate::extract::{Body, Caller, RawBody, object_bytes, parse_item};
use crate::metrics::BatchKind;
use crate::offload;
use crate::openapi::{Api, Op};
use crate::wire::answers::{CreateBatchAnswer, PatchBatchAnswer};
use crate::wire::user::{SelectorProbe, UserBody, UserEnvelope, UsersBatchBody};
use crate::{AppState, Limits};

pub fn api() -> Api {
    Api::new("Batches")
        .route(
            Op::patch("/v1/mgmt/user/patch", "Patch one user: the fields sent change, the others stay")
                .body::<UserBody>()
                .answers::<UserEnvelope>(),
            patch(patch_one),
        )
        .route(
            Op::patch("/v1/mgmt/user/patch/batch", "Patch many users, each atomically, with a result per user")
                .describe("Each item is a `user/patch` body naming its user. Items that name no user are reported under `additionalErrors` (`users[<index>]`); items that fail go to `failedUsers` with the reason and the stored user; the rest are in `patchedUsers`, in request order.")
                .body::<UsersBatchBody>()
                .answers::<PatchBatchAnswer>(),
            patch(patch_batch),
        )
        .route(
            Op::post("/v1/mgmt/user/create/batch", "Create many users, each on its own, with a result per user")
                .body::<UsersBatchBody>()
                .answers::<CreateBatchAnswer>(),
            post(create_batch),
        )
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    users: Option<&'a RawValue>,
}

/// Split a batch body into its items, refusing the whole request when it cannot be one.
fn batch_items(bytes: &[u8], limits: Limits) -> Result<Vec<&RawValue>, Error> {
    let bytes = object_bytes(bytes)?;
    let envelope: Envelope<'_> = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => Error::bad_request(format!("request body: {e}")),
        _ => Error::bad_request(format!("malformed JSON: {e}")),
    })?;
    let raw = envelope
        .users
        .filter(|r| r.get() != "null")
        .ok_or_else(|| Error::missing("users"))?;
    let items: Vec<&RawValue> = serde_json::from_str(raw.get())
        .map_err(|_| Error::invalid("users: must be a list of users"))?;
    limits.check_items("users", items.len())?;
    Ok(items)
}

/// An item read as a [`UserBody`], or why not, with whatever selector it has.
fn read_item(raw: &RawValue) -> (Option<String>, Result<UserBody, Error>) {
    match parse_item::<UserBody>(raw) {
        Ok(body) => (body.selector().map(str::to_string), Ok(body)),
        Err(e) => {
            let probe: Option<SelectorProbe> = serde_json::from_str(raw.get()).ok();
            (probe.and_then(|p| p.selector()), Err(e))
        }
    }
}

fn unaddressable(raw: &RawValue) -> String {
    if raw.get().trim_start().starts_with('{') {
        "loginId is required".to_string()
    } else {
        "must be a JSON object".to_string()
    }
}

fn patch_item(raw: &RawValue) -> PatchItem {
    match read_item(raw) {
        (None, _) => PatchItem::Unaddressable {
            message: unaddressable(raw),
        },
        (Some(selector), Err(error)) => PatchItem::Invalid { selector, error },
        (Some(selector), Ok(body)) => match UserPatch::parse(body.into_raw_patch()) {
            Ok(patch) => PatchItem::Ready { selector, patch },
            Err(e) => PatchItem::Invalid {
                selector,
                error: e.into(),
            },
        },
    }
}

/// `PATCH /v1/mgmt/user/patch/batch`. The body is read and the answer rendered off the
/// async workers; the answer goes out as it is rendered.
async fn patch_batch(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(bytes): RawBody,
) -> ApiResult<Response> {
    let limits = state.limits();
    let items = offload::cpu(&state, bytes.len(), move || {
        let raw_items = batch_items(&bytes, limits)?;
        Ok(raw_items.iter().map(|r| patch_item(r)).collect::<Vec<_>>())
    })
    .await?;
    let origin = state.origin(&caller);
    let (store, project) = (state.store().clone(), caller.project);
    let batch = offload::run(&state, items.len(), async move {
        patch_users(store.as_ref(), &project, &items, &origin).await
    })
    .await?;
    state
        .metrics()
        .batch(BatchKind::patch, batch.outcomes.len(), batch.patched());
    state.metrics().steps(&batch.steps);
    let (outcomes, catalog) = (batch.outcomes, batch.catalog);
    let items = outcomes.len();
    Ok(offload::json(
        &state,
        PatchBatchAnswer { outcomes, catalog },
        items,
    ))
}

/// `PATCH /v1/mgmt/user/patch`: one user; failures are the response's error (404
/// `E112102` for an unknown user, 400 for invalid input, 409 for a taken login ID).
async fn patch_one(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<UserBody>,
) -> ApiResult<Json<UserEnvelope>> {
    let selector = body
        .selector()
        .ok_or_else(|| Error::missing("loginId"))?
        .to_string();
    let patch = UserPatch::parse(body.into_raw_patch())?;
    super::user_changes::patch_single(&state, &caller, selector, patch).await
}

/// `POST /v1/mgmt/user/create/batch`: each user created whole or not at all, in order.
/// Invite options are accepted; no message is sent.
async fn create_batch(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(bytes): RawBody,
) -> ApiResult<Response> {
    let limits = state.limits();
    let ids = state.ids_arc();
    let (items, unaddressable) = offload::cpu(&state, bytes.len(), move || {
        let raw_items = batch_items(&bytes, limits)?;
        let mut unaddressable = Vec::new();
        let mut items = Vec::with_capacity(raw_items.len());
        for (index, raw) in raw_items.iter().enumerate() {
            match read_item(raw) {
                (None, _) => unaddressable.push((index, self::unaddressable(raw))),
                (login_id, Err(error)) => items.push(CreateItem::Invalid { login_id, error }),
                (login_id, Ok(body)) => {
                    items.push(match NewUser::parse(body.into_raw_new_user(false)) {
                        Ok(user) => CreateItem::Ready {
                            id: UserId::generate(ids.as_ref()),
                            user,
                        },
                        Err(error) => CreateItem::Invalid { login_id, error },
                    })
                }
            }
        }
        Ok((items, unaddressable))
    })
    .await?;
    let origin = state.origin(&caller);
    let (store, project) = (state.store().clone(), caller.project);
    let (outcomes, catalog) = offload::run(&state, items.len(), async move {
        create_users(store.as_ref(), &project, &items, &origin).await
    })
    .await?;
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, CreateOutcome::Created(_)))
        .count();
    let items = outcomes.len();
    state
        .metrics()
        .batch(BatchKind::create, items + unaddressable.len(), created);
    Ok(offload::json(
        &state,
        CreateBatchAnswer {
            outcomes,
            unaddressable,
            catalog,
        },
        items,
    ))
}
