//! An in-process Roster for API tests: the real router over a real store (SQLite in
//! memory, or a fresh PostgreSQL schema), with a hand-moved clock and seeded IDs, so
//! responses are deterministic and the same on both backends.
//!
//! A test written as `async fn name(backend: Backend)` runs on both backends when its
//! module lists it in [`each_backend!`](crate::each_backend).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use roster_api::{AppState, Limits};
use roster_domain::ids::{ProjectId, SeededIds};
use roster_domain::keys::ManagementKey;
use roster_domain::time::{ManualClock, Millis};
use roster_server::startup::{Bootstrap, bootstrap};
use roster_store::Store;
use roster_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use tower::ServiceExt;

/// 2026-11-26T00:00:00Z.
pub const START: Millis = Millis(1_764_115_200_000);

/// A change made directly on a store by a test, at `now` (as the command line would).
pub fn at(now: Millis) -> roster_domain::audit::Origin {
    roster_domain::audit::Origin::command_line(now)
}

/// A change made directly on a store by a test, at [`START`].
pub fn origin() -> roster_domain::audit::Origin {
    at(START)
}
pub const PROJECT: &str = "P2RosterTestProject000000001";
pub const KEY: &str = "test-management-key";

/// The store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// A fresh, empty store of this backend.
    pub async fn store(self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite => Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap()),
            Backend::Postgres => crate::postgres::fresh_store().await,
        }
    }
}

/// Expand each `async fn name(backend: Backend)` of the calling module into two tests,
/// `sqlite::name` and `postgres::name` (the latter skipped, saying so, when
/// `ROSTER_TEST_POSTGRES_URL` is unset).
#[macro_export]
macro_rules! each_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if $crate::postgres::skip(stringify!($name)) {
                        return;
                    }
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            )*
        }
    };
}

pub struct TestApp {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub auth: String,
}

impl TestApp {
    /// An app on a fresh store of `backend`, with the default limits.
    pub async fn on(backend: Backend) -> Self {
        Self::with_limits(backend, Limits::default()).await
    }

    pub async fn with_limits(backend: Backend, limits: Limits) -> Self {
        Self::on_store(backend.store().await, limits).await
    }

    pub async fn on_store(store: Arc<dyn Store>, limits: Limits) -> Self {
        let clock = Arc::new(ManualClock::new(START, 0));
        let ids = Arc::new(SeededIds::new(42));
        let given = Bootstrap {
            project: ProjectId::parse(PROJECT).unwrap(),
            key: ManagementKey::parse(KEY).unwrap(),
        };
        let mut out = Vec::new();
        bootstrap(
            store.as_ref(),
            Some(&given),
            ids.as_ref(),
            clock.as_ref(),
            &mut out,
        )
        .await
        .unwrap();
        assert!(
            out.is_empty(),
            "a bootstrap with given credentials prints nothing"
        );
        let state = AppState::new(store.clone(), clock.clone(), ids.clone(), limits);
        TestApp {
            router: roster_api::router(state),
            store,
            clock,
            auth: format!("Bearer {PROJECT}:{KEY}"),
        }
    }

    /// The same app (store, clock), keeping audit records for `retention` (zero: the
    /// audit trail is off), with the default limits.
    pub fn with_audit_retention(self, retention: std::time::Duration) -> Self {
        let state = AppState::new(
            self.store.clone(),
            self.clock.clone(),
            Arc::new(SeededIds::new(43)),
            Limits::default(),
        )
        .with_audit_retention(retention);
        TestApp {
            router: roster_api::router(state),
            ..self
        }
    }

    /// Send a request with the test project's key; the body is JSON text when given.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        self.send_as(Some(&self.auth), method, path, body).await
    }

    pub async fn send_as(
        &self,
        auth: Option<&str>,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        let (status, _, value) = self.send_full(auth, method, path, body).await;
        (status, value)
    }

    /// [`send_as`](Self::send_as), with the answer's headers.
    pub async fn send_full(
        &self,
        auth: Option<&str>,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let value: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{method} {path}: the body is not JSON ({e}): {bytes:?}"));
        (status, headers, value)
    }

    pub async fn call(&self, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(method, path, Some(body.to_string())).await
    }

    /// A call that must succeed; returns the body.
    pub async fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, value) = self.call(method, path, body).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {value}");
        value
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send("GET", path, None).await
    }

    /// Roles `admin` (users.write, users.read) and `viewer` (users.read); tenants `t1`
    /// ("Tenant One", with role `editor`) and `t2`; attributes `age` (number), `nick`
    /// (string), `vip` (boolean).
    pub async fn seed_catalog(&self) {
        for (name, description) in [("users.read", "read users"), ("users.write", "")] {
            self.ok(
                "POST",
                "/v1/mgmt/permission/create",
                json!({"name": name, "description": description}),
            )
            .await;
        }
        self.ok(
            "POST",
            "/v1/mgmt/role/create",
            json!({"name": "admin", "permissionNames": ["users.write", "users.read"]}),
        )
        .await;
        self.ok(
            "POST",
            "/v1/mgmt/role/create",
            json!({"name": "viewer", "permissionNames": ["users.read"]}),
        )
        .await;
        self.ok(
            "POST",
            "/v1/mgmt/tenant/create",
            json!({"id": "t1", "name": "Tenant One"}),
        )
        .await;
        self.ok(
            "POST",
            "/v1/mgmt/tenant/create",
            json!({"id": "t2", "name": "Tenant Two"}),
        )
        .await;
        self.ok(
            "POST",
            "/v1/mgmt/role/create",
            json!({"name": "editor", "tenantId": "t1", "permissionNames": ["users.write"]}),
        )
        .await;
        self.ok(
            "POST",
            "/v1/mgmt/user/customattribute/create",
            json!({"attributes": [
                {"name": "age", "type": "number", "displayName": "Age"},
                {"name": "nick", "type": 1, "displayName": "Nickname"},
                {"name": "vip", "type": "boolean"}
            ]}),
        )
        .await;
    }

    pub async fn create_user(&self, body: Value) -> Value {
        self.ok("POST", "/v1/mgmt/user/create", body).await["user"].clone()
    }

    pub async fn load(&self, login: &str) -> (StatusCode, Value) {
        self.get(&format!("/v1/mgmt/user?loginId={}", urlencode(login)))
            .await
    }

    /// A read-only key of the test project, with this ID and name, added straight to
    /// the store (as `roster key create --read-only` does); its `Authorization` value.
    pub async fn add_read_only_key(&self, id: &str, name: &str) -> String {
        let key = ManagementKey::generate(&roster_domain::ids::RandomIds);
        let stored = roster_store::StoredKey {
            read_only: true,
            ..roster_store::StoredKey::new(
                roster_domain::ids::KeyId::from_stored(id.into()),
                name.into(),
                key.hash(),
                START,
            )
        };
        self.store
            .add_key(&ProjectId::parse(PROJECT).unwrap(), &stored, &origin())
            .await
            .unwrap();
        format!("Bearer {PROJECT}:{}", key.expose())
    }
}

/// Percent-encode a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Assert a Descope-shaped error with this status and code; returns the message.
#[track_caller]
pub fn assert_error(resp: &(StatusCode, Value), status: u16, code: &str) -> String {
    let (s, body) = resp;
    assert_eq!(s.as_u16(), status, "{body}");
    assert_eq!(body["errorCode"], code, "{body}");
    assert!(
        body["errorDescription"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    let message = body["errorMessage"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!message.is_empty(), "{body}");
    assert_eq!(body["message"], body["errorMessage"], "{body}");
    message
}
