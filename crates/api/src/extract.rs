//! Extractors: the request body read as Descope's gateway reads it, and the caller's
//! project from its management key.
//!
//! [`Body`] reads the whole body under the configured size limit (over it: 413
//! `E990413`), treats an empty body as `{}`, and reports malformed JSON or a wrong JSON
//! type as 400 `E011001`, naming the field at fault. Unknown fields are ignored.
//! [`Caller`] checks `Authorization: Bearer <ProjectID>:<ManagementKey>`; every failure
//! is the same 401, so that nothing tells an unknown project from a wrong key.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use roster_domain::ids::ProjectId;
use roster_domain::keys::ManagementKey;
use roster_domain::{Error, ErrorCode};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// A JSON body, deserialized into `T`.
#[derive(Debug)]
pub struct Body<T>(pub T);

/// The raw bytes of a body, under the size limit (for the batch endpoints, which read
/// their items one by one).
#[derive(Debug)]
pub struct RawBody(pub Bytes);

fn bytes_rejection(r: BytesRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError(Error::new(
            ErrorCode::BodyTooLarge,
            "the request body is larger than this server accepts (see --max-body-bytes)",
        ))
    } else {
        ApiError(Error::bad_request(format!(
            "cannot read the request body: {r}"
        )))
    }
}

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(bytes_rejection)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        parse_json(&bytes).map(Body).map_err(ApiError)
    }
}

/// Deserialize JSON, naming the path of the first value that does not fit.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(&e))?;
    de.end()
        .map_err(|e| Error::bad_request(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// Deserialize a JSON value already split out of a larger body (a batch item).
pub fn parse_item<T: DeserializeOwned>(raw: &serde_json::value::RawValue) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(&e))
}

fn json_error(e: &serde_path_to_error::Error<serde_json::Error>) -> Error {
    let inner = e.inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let path = e.path().to_string();
            if path == "." {
                Error::bad_request(format!("request body: {inner}"))
            } else {
                Error::bad_request(format!("{path}: {inner}"))
            }
        }
        _ => Error::bad_request(format!("malformed JSON: {inner}")),
    }
}

/// The project the caller's management key opens.
#[derive(Debug, Clone)]
pub struct Caller {
    pub project: ProjectId,
}

fn unauthorized(message: &str) -> ApiError {
    ApiError(Error::new(ErrorCode::Unauthorized, message))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            unauthorized(
                "missing Authorization header (expected \"Bearer <ProjectID>:<ManagementKey>\")",
            )
        })?;
        let malformed = || {
            unauthorized(
                "malformed Authorization header (expected \"Bearer <ProjectID>:<ManagementKey>\")",
            )
        };
        let value = header.to_str().map_err(|_| malformed())?;
        let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(malformed());
        }
        let (project, key) = token.trim().split_once(':').ok_or_else(malformed)?;
        let denied =
            || unauthorized("the project ID and management key do not match an active key");
        let project = ProjectId::parse(project).map_err(|_| denied())?;
        let key = ManagementKey::parse(key).map_err(|_| denied())?;
        let granted =
            roster_store::auth::authenticate(state.store().as_ref(), &project, &key, state.now())
                .await?;
        if granted {
            Ok(Caller { project })
        } else {
            Err(denied())
        }
    }
}
