//! The limits every API request passes: how many run at once, and how long one may
//! take. Health checks pass freely, so that probes answer whatever the load.
//!
//! Beyond the number in flight, a request is answered at once with 429 `E130429` and a
//! `Retry-After`, which the SDKs understand as "back off": never queued, never hung.
//! A request that takes longer than the request timeout is answered 504 `E990504`;
//! its work is dropped (an open transaction rolls back).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use roster_domain::{Error, ErrorCode};

use crate::AppState;
use crate::error::ApiError;

pub(crate) async fn bounded(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/health/") {
        return next.run(req).await;
    }
    let limits = state.limits();
    let Some(_permit) = state.admit() else {
        return ApiError(Error::new(
            ErrorCode::RateLimited,
            format!(
                "the server is handling its maximum of {} requests; try again shortly (see --max-requests)",
                limits.max_in_flight
            ),
        ))
        .into_response();
    };
    match tokio::time::timeout(limits.request_timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError(Error::new(
            ErrorCode::RequestTimeout,
            format!(
                "the request took longer than the {} s this server allows (see --request-timeout); \
                 nothing of it was kept",
                limits.request_timeout.as_secs()
            ),
        ))
        .into_response(),
    }
}
