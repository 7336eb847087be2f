//! Errors into HTTP responses: the only place a domain [`Error`] becomes a status and a
//! body.
//!
//! Every error body has Descope's four fields, `errorCode`, `errorDescription`,
//! `errorMessage` and `message` (the last two carry the same text, as Descope's do). The
//! status comes from the code's entry in the registry. Internal errors say nothing about
//! their cause; whoever made them logged it.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_domain::{Error, ErrorCode};
use serde::Serialize;

/// A domain error on its way out.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl From<roster_domain::error::FieldError> for ApiError {
    fn from(e: roster_domain::error::FieldError) -> Self {
        ApiError(e.into())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Descope's error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody<'a> {
    pub error_code: &'static str,
    pub error_description: &'static str,
    pub error_message: &'a str,
    pub message: &'a str,
}

/// Seconds a caller refused for lack of room (connections, requests in flight) should
/// wait (sent as `Retry-After`); the project rate limit sends its window's own.
const RETRY_AFTER_SECS: &str = "1";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.code;
        let status =
            StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            error_code: code.code(),
            error_description: code.description(),
            error_message: &self.0.message,
            message: &self.0.message,
        };
        let mut response = (status, Json(body)).into_response();
        if code == ErrorCode::RateLimited {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        response
    }
}

/// Answer for paths no route knows.
pub async fn route_not_found() -> ApiError {
    ApiError(Error::new(ErrorCode::RouteNotFound, "no such endpoint"))
}

/// Answer for a known path with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError(Error::new(
        ErrorCode::MethodNotAllowed,
        "this endpoint does not take that HTTP method",
    ))
}

/// Turn a panic inside a handler into an ordinary internal error (the panic message is
/// logged, never sent).
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "a request handler panicked");
    ApiError(Error::internal()).into_response()
}
