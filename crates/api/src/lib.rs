//! Roster's HTTP layer: Descope's Management API over any [`Store`].
//!
//! A request flows one way: axum routes it to a handler in [`routes`]; the [`Caller`]
//! extractor checks the management key and yields the project; the [`Body`] extractor
//! reads the JSON into a wire type of [`wire`] (aliases and `null`s handled there); the
//! handler turns that into a domain request, calls the store (or a flow of
//! `roster_store::batch`), and turns the domain result back into a wire type. Errors
//! travel as [`ApiError`] and become responses only in [`error`].
//!
//! [`Caller`]: extract::Caller
//! [`Body`]: extract::Body
//! [`ApiError`]: error::ApiError

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use roster_domain::ids::IdGenerator;
use roster_domain::time::{Clock, Millis};
use roster_store::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub mod error;
pub mod extract;
pub mod offload;
pub mod routes;
pub mod wire;

/// Request limits, set from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted, in bytes (default 32 MiB).
    pub max_body_bytes: usize,
    /// Most items accepted in one batch request (default 10,000).
    pub max_batch_items: usize,
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
        }
    }
}

/// What every handler can reach: the store, the injected clock and ID source, limits.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    limits: Limits,
}

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
            }),
        }
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

/// The whole API: every route, the body limit, request tracing, and JSON answers for
/// unknown routes, wrong methods and panics.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits().max_body_bytes;
    routes::routes()
        .fallback(error::route_not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
