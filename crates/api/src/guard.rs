//! The limits every API request passes: how many run at once, and how long one may
//! take. Health checks, `/metrics`, `/openapi.json` and the console's files pass
//! freely, so that probes and scrapes answer whatever the load (the console's own API
//! calls are API requests like any other).
//!
//! Beyond the number in flight, a request is answered at once with 429 `E130429` and a
//! `Retry-After`, which the SDKs understand as "back off": never queued, never hung.
//! A request that takes longer than the request timeout is answered 504 `E990504`;
//! its work is dropped (an open transaction rolls back).
//!
//! It also carries the project's rate-limit standing from the [`Caller`] extractor
//! (which counts the request once the key is checked) to the answer's headers.
//!
//! [`Caller`]: crate::extract::Caller

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::RETRY_AFTER;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use roster_domain::{Error, ErrorCode};

use crate::AppState;
use crate::error::ApiError;
use crate::rate::Standing;

/// Where the [`Caller`](crate::extract::Caller) extractor leaves the project's
/// rate-limit standing for the answer's headers.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateSlot(pub Arc<Mutex<Option<Standing>>>);

impl RateSlot {
    pub(crate) fn set(&self, standing: Standing) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(standing);
    }
}

fn header(v: u64) -> HeaderValue {
    HeaderValue::from(v)
}

/// Add the rate-limit headers of `standing` to an answer.
fn with_standing(mut resp: Response, standing: Standing) -> Response {
    let h = resp.headers_mut();
    h.insert("ratelimit-limit", header(u64::from(standing.limit)));
    h.insert("ratelimit-remaining", header(u64::from(standing.remaining)));
    h.insert("ratelimit-reset", header(standing.reset_secs));
    if !standing.allowed {
        h.insert(RETRY_AFTER, header(standing.reset_secs));
    }
    resp
}

pub(crate) async fn bounded(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if path.starts_with("/health/")
        || path == "/metrics"
        || path == "/openapi.json"
        || path == roster_console::PREFIX
        || path.starts_with("/console/")
    {
        return next.run(req).await;
    }
    let slot = RateSlot::default();
    req.extensions_mut().insert(slot.clone());
    let resp = limited(&state, req, next).await;
    let standing = *slot.0.lock().unwrap_or_else(|e| e.into_inner());
    match standing {
        Some(standing) => with_standing(resp, standing),
        None => resp,
    }
}

async fn limited(state: &AppState, req: Request, next: Next) -> Response {
    let limits = state.limits();
    let Some(_permit) = state.admit() else {
        state.metrics().refused(crate::metrics::Refusal::requests);
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
