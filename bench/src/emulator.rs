//! An in-memory stand-in for a Descope emulator, the reference point of single patches.
//!
//! Issue 10 compared Roster's single patches with "an in-memory Descope emulator written
//! in Rust (no persistence)" that was never committed, and none is public. This is the
//! smallest honest one, for `PATCH /v1/mgmt/user/patch` alone: it checks the bearer key,
//! parses the patch into typed fields, finds the user by login ID in a map under a lock,
//! applies the fields given, moves the modified time, and answers with the whole user in
//! Descope's shape. Nothing is durable, nothing is audited, no rule beyond that runs:
//! what it serves is the most a request path on this machine serves with no database.
//!
//! It runs in the benchmark's process but on a runtime and threads of its own (two
//! workers, as a server on two cores would have), so it competes with the clients for
//! the machine's cores as a separate process would.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::patch;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{KEY, PROJECT, login};

/// A user as the emulator holds it and answers it (Descope's field names).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct User {
    login_ids: Vec<String>,
    user_id: String,
    name: String,
    given_name: String,
    middle_name: String,
    family_name: String,
    email: String,
    phone: String,
    verified_email: bool,
    verified_phone: bool,
    role_names: Vec<String>,
    user_tenants: Vec<Tenant>,
    status: String,
    external_ids: Vec<String>,
    picture: String,
    test: bool,
    custom_attributes: Map<String, Value>,
    created_time: u64,
    #[serde(rename = "TOTP")]
    totp: bool,
    #[serde(rename = "SAML")]
    saml: bool,
    #[serde(rename = "OAuth")]
    oauth: Map<String, Value>,
    webauthn: bool,
    password: bool,
    sso_app_ids: Vec<String>,
    editable: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Tenant {
    tenant_id: String,
    tenant_name: String,
    role_names: Vec<String>,
}

/// The fields of a patch the emulator applies; each absent one is left alone.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Patch {
    login_id: String,
    name: Option<String>,
    given_name: Option<String>,
    middle_name: Option<String>,
    family_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    verified_email: Option<bool>,
    verified_phone: Option<bool>,
    picture: Option<String>,
    role_names: Option<Vec<String>>,
    custom_attributes: Option<Map<String, Value>>,
}

type Users = Arc<Mutex<HashMap<String, User>>>;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The users `Client::seed_members` creates: `login(i)`, a member of tenant `t{i % 10}`.
fn seeded(users: usize) -> HashMap<String, User> {
    let created = now_ms();
    (0..users)
        .map(|i| {
            let id = login(i);
            let user = User {
                login_ids: vec![id.clone()],
                user_id: format!("U{i:027}"),
                name: String::new(),
                given_name: String::new(),
                middle_name: String::new(),
                family_name: String::new(),
                email: id.clone(),
                phone: String::new(),
                verified_email: false,
                verified_phone: false,
                role_names: Vec::new(),
                user_tenants: vec![Tenant {
                    tenant_id: format!("t{}", i % 10),
                    tenant_name: format!("Tenant {}", i % 10),
                    role_names: Vec::new(),
                }],
                status: "enabled".into(),
                external_ids: vec![id.clone()],
                picture: String::new(),
                test: false,
                custom_attributes: Map::new(),
                created_time: created / 1000,
                totp: false,
                saml: false,
                oauth: Map::new(),
                webauthn: false,
                password: false,
                sso_app_ids: Vec::new(),
                editable: true,
            };
            (id, user)
        })
        .collect()
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"errorCode": code, "errorDescription": description,
                    "errorMessage": description, "message": description})),
    )
        .into_response()
}

async fn patch_user(State(users): State<Users>, headers: HeaderMap, body: String) -> Response {
    let expected = format!("Bearer {PROJECT}:{KEY}");
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if presented != Some(expected.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "E990401", "Unauthorized");
    }
    let patch: Patch = match serde_json::from_str(&body) {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, "E011001", &e.to_string()),
    };
    let user = {
        let mut map = users.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(u) = map.get_mut(&patch.login_id) else {
            drop(map);
            return error(StatusCode::NOT_FOUND, "E112102", "User not found");
        };
        let text = |field: &mut String, value: Option<String>| {
            if let Some(v) = value {
                *field = v;
            }
        };
        text(&mut u.name, patch.name);
        text(&mut u.given_name, patch.given_name);
        text(&mut u.middle_name, patch.middle_name);
        text(&mut u.family_name, patch.family_name);
        text(&mut u.email, patch.email);
        text(&mut u.phone, patch.phone);
        text(&mut u.picture, patch.picture);
        if let Some(v) = patch.verified_email {
            u.verified_email = v;
        }
        if let Some(v) = patch.verified_phone {
            u.verified_phone = v;
        }
        if let Some(v) = patch.role_names {
            u.role_names = v;
        }
        if let Some(v) = patch.custom_attributes {
            u.custom_attributes.extend(v);
        }
        u.clone()
    };
    Json(json!({ "user": user })).into_response()
}

/// An emulator holding `users` users, serving on loopback until the process ends; its
/// base URL.
pub fn start(users: usize) -> anyhow::Result<String> {
    let (tx, rx) = std::sync::mpsc::channel::<anyhow::Result<SocketAddr>>();
    std::thread::Builder::new()
        .name("emulator".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("emulator")
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(e.into()));
                    return;
                }
            };
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = tx.send(Err(e.into()));
                        return;
                    }
                };
                let _ = tx.send(listener.local_addr().map_err(Into::into));
                let app = Router::new()
                    .route("/v1/mgmt/user/patch", patch(patch_user))
                    .with_state(Arc::new(Mutex::new(seeded(users))));
                let _ = axum::serve(listener, app).await;
            });
        })?;
    let addr = rx.recv()??;
    Ok(format!("http://{addr}"))
}
