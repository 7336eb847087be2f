//! Liveness, readiness, and the licence handshake the SDKs make when they start.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;
use crate::extract::Caller;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/v1/mgmt/license", get(license))
}

/// 200 while the process runs.
async fn live() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// 200 once the store answers (it is migrated before the server listens); 503 while it
/// does not, which is what load balancers and orchestrators expect of a readiness probe.
/// (SDK endpoints never answer 503: the SDKs would retry for ten seconds.)
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let backend = state.store().backend();
    match state.store().ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "store": backend})),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "store": backend})),
        ),
    }
}

/// The SDKs ask for the licence tier when they start and send it back in a header;
/// Roster has no tiers, so it answers the highest at once.
async fn license(_caller: Caller) -> Json<Value> {
    Json(json!({"rateLimitTier": "tier4"}))
}
