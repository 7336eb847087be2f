//! Liveness, readiness, and the licence handshake the SDKs make when they start.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::extract::Caller;
use crate::openapi::{Api, Op};

pub fn api() -> Api {
    Api::new("Server")
        .route(
            Op::get("/health/live", "Liveness")
                .answers::<Live>()
                .public(),
            get(live),
        )
        .route(
            Op::get("/health/ready", "Readiness: whether the store answers")
                .answers::<Ready>()
                .answers_with::<Ready>("503", "The store does not answer")
                .public(),
            get(ready),
        )
        .route(
            Op::get(
                "/v1/mgmt/license",
                "The licence handshake the SDKs make when they start",
            )
            .answers::<License>(),
            get(license),
        )
}

/// `{"status": "ok"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Live {
    status: &'static str,
}

/// `{"status": "ok" | "unavailable", "store": "sqlite" | "postgres"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    status: &'static str,
    store: &'static str,
}

/// `{"rateLimitTier": "tier4"}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct License {
    rate_limit_tier: &'static str,
}

/// 200 while the process runs.
async fn live() -> Json<Live> {
    Json(Live { status: "ok" })
}

/// 200 once the store answers (it is migrated before the server listens); 503 while it
/// does not, which is what load balancers and orchestrators expect of a readiness probe.
/// (SDK endpoints never answer 503: the SDKs would retry for ten seconds.)
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Ready>) {
    let store = state.store().backend();
    match state.store().ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Ready {
                status: "ok",
                store,
            }),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Ready {
                status: "unavailable",
                store,
            }),
        ),
    }
}

/// The SDKs ask for the licence tier when they start and send it back in a header;
/// Roster has no tiers, so it answers the highest at once.
async fn license(_caller: Caller) -> Json<License> {
    Json(License {
        rate_limit_tier: "tier4",
    })
}
