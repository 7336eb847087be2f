//! Roster's HTTP layer: Descope's Management API over any [`Store`].
//!
//! A request flows one way: axum routes it to a handler in [`routes`]; the [`Caller`]
//! extractor checks the management key (its digest, expiry, revocation and permitted
//! addresses, and for a read-only key that the request only reads: [`access`]) and
//! yields the project; the [`Body`] extractor
//! reads the JSON into a wire type of [`wire`] (aliases and `null`s handled there); the
//! handler turns that into a domain request, calls the store (or a flow of
//! `roster_store::batch`), and turns the domain result back into a wire type. Errors
//! travel as [`ApiError`] and become responses only in [`error`].
//!
//! [`Caller`]: extract::Caller
//! [`Body`]: extract::Body
//! [`ApiError`]: error::ApiError

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use roster_domain::audit::Origin;
use roster_domain::ids::IdGenerator;
use roster_domain::time::{Clock, Millis};
use roster_store::Store;
use roster_store::group::GroupCommit;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub mod access;
pub mod error;
pub mod extract;
mod guard;
pub mod metrics;
pub mod offload;
pub mod openapi;
pub mod rate;
pub mod routes;
pub mod wire;

/// Request limits, set from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted, in bytes (default 32 MiB).
    pub max_body_bytes: usize,
    /// Most items accepted in one batch request (default 10,000).
    pub max_batch_items: usize,
    /// Most API requests handled at once (health checks aside); one more is answered
    /// 429 at once (default 512).
    pub max_in_flight: usize,
    /// Longest a request may take, body reading included; beyond, it is answered 504
    /// and its work is dropped, its transaction rolled back (default 60 s).
    pub request_timeout: Duration,
    /// Longest a user search may run in the database; beyond, it is stopped and
    /// answered 504 (default 10 s).
    pub search_timeout: Duration,
    /// Management requests each project may make per window (off by default).
    pub rate_limit: Option<rate::RateLimit>,
}

impl Limits {
    /// A list of a request holds at most `max_batch_items` items (413 `E990414`
    /// beyond): every batch endpoint has the same item limit as `patch/batch`.
    pub fn check_items(&self, field: &str, len: usize) -> Result<(), roster_domain::Error> {
        if len > self.max_batch_items {
            return Err(roster_domain::Error::new(
                roster_domain::ErrorCode::TooManyItems,
                format!(
                    "{field}: {len} items is more than the {} this server accepts in one batch (see --max-batch-items)",
                    self.max_batch_items
                ),
            ));
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 32 * 1024 * 1024,
            max_batch_items: 10_000,
            max_in_flight: 512,
            request_timeout: Duration::from_secs(60),
            search_timeout: Duration::from_secs(10),
            rate_limit: None,
        }
    }
}

/// What every handler can reach: the store, the injected clock and ID source, limits.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone)]
struct Inner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    limits: Limits,
    /// One permit per request in flight.
    in_flight: Arc<Semaphore>,
    /// Where heavy work runs (see [`offload`]), when the server set such a runtime up.
    heavy: Option<Handle>,
    /// The projects' request counts, when `--rate-limit` is on.
    limiter: Option<Arc<rate::ProjectLimiter>>,
    /// Failed authentications per client address.
    auth_failures: Arc<rate::AuthFailures>,
    /// How long audit records are kept; zero: none are written.
    audit_retention: Duration,
    /// Single patches of a project in flight, committed together.
    group_commit: Arc<GroupCommit>,
    /// What `GET /metrics` shows.
    metrics: Arc<metrics::Metrics>,
}

/// How long audit records are kept unless the operator says otherwise: 30 days, what
/// Descope's audit search covers.
pub const DEFAULT_AUDIT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        limits: Limits,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                ids,
                limits,
                in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
                heavy: None,
                limiter: limits
                    .rate_limit
                    .map(|l| Arc::new(rate::ProjectLimiter::new(l))),
                auth_failures: Arc::default(),
                audit_retention: DEFAULT_AUDIT_RETENTION,
                group_commit: Arc::default(),
                metrics: Arc::default(),
            }),
        }
    }

    /// The same state, with heavy work (large bodies, large batches, large answers) run
    /// on `heavy`, a runtime whose threads yield to the ones answering requests.
    pub fn with_heavy_runtime(self, heavy: Handle) -> Self {
        self.with(|inner| inner.heavy = Some(heavy))
    }

    /// The same state, keeping audit records for `retention` ([`DEFAULT_AUDIT_RETENTION`]
    /// unless told); zero turns the audit trail off: no change is recorded.
    pub fn with_audit_retention(self, retention: Duration) -> Self {
        self.with(|inner| inner.audit_retention = retention)
    }

    fn with(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The server's metrics (`GET /metrics`).
    pub fn metrics(&self) -> &Arc<metrics::Metrics> {
        &self.inner.metrics
    }

    /// Where single patches wait to be committed together.
    pub fn group_commit(&self) -> &GroupCommit {
        &self.inner.group_commit
    }

    /// How long audit records are kept (zero: the audit trail is off).
    pub fn audit_retention(&self) -> Duration {
        self.inner.audit_retention
    }

    /// Who makes the changes of a request: the caller's key, from its address, now.
    pub fn origin(&self, caller: &extract::Caller) -> Origin {
        let origin = Origin::key(&caller.key, caller.client, self.now());
        if self.audit_retention().is_zero() {
            origin.unaudited()
        } else {
            origin
        }
    }

    /// The projects' request counts, when rate limiting is on.
    pub fn limiter(&self) -> Option<&rate::ProjectLimiter> {
        self.inner.limiter.as_deref()
    }

    pub fn auth_failures(&self) -> &rate::AuthFailures {
        &self.inner.auth_failures
    }

    /// The runtime for heavy work: the server's low-priority one, else the current one.
    pub fn heavy(&self) -> Handle {
        self.inner.heavy.clone().unwrap_or_else(Handle::current)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn now(&self) -> Millis {
        self.inner.clock.now()
    }

    pub fn ids(&self) -> &dyn IdGenerator {
        self.inner.ids.as_ref()
    }

    /// The ID source, to hand to work that runs off the async workers.
    pub fn ids_arc(&self) -> Arc<dyn IdGenerator> {
        self.inner.ids.clone()
    }

    pub fn limits(&self) -> Limits {
        self.inner.limits
    }
}

/// The whole API: every route (see [`openapi::Api`]) and the console's pages (outside
/// the OpenAPI document: they are files, not API), the body limit, the limits on requests in flight and on
/// their time, metrics, request tracing, and JSON answers for unknown routes, wrong
/// methods and panics.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits().max_body_bytes;
    routes::api()
        .into_router()
        .merge(roster_console::router())
        .fallback(error::route_not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::bounded,
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

impl AppState {
    /// A permit for one more request in flight, if there is room.
    pub(crate) fn admit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.inner.in_flight.clone().try_acquire_owned().ok()
    }
}
