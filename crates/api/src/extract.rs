//! Extractors: the request body read as Descope's gateway reads it, and the caller's
//! project from its management key.
//!
//! [`Body`] reads the whole body under the configured size limit (over it: 413
//! `E990413`), treats an empty body as `{}`, and reports malformed JSON or a wrong JSON
//! type as 400 `E011001`, naming the field at fault. Unknown fields are ignored. Text
//! may not hold the NUL character, in a body or a query string ([`QueryMap`]): no
//! backend could store it alike (PostgreSQL refuses it), and no identity needs it.
//! [`Caller`] checks `Authorization: Bearer <ProjectID>:<ManagementKey>`; every failure
//! is the same 401, so that nothing tells an unknown project from a wrong key, and
//! repeated failures from one address are answered later and later. A request that
//! gets in counts against its project's rate limit (see [`crate::rate`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use roster_domain::ids::{KeyId, ProjectId};
use roster_domain::keys::ManagementKey;
use roster_domain::{Error, ErrorCode};
use roster_store::auth::Access;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::guard::RateSlot;
use crate::{AppState, access};

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
    let bytes = object_bytes(bytes)?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(&e))?;
    de.end()
        .map_err(|e| Error::bad_request(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// The body, `{}` when it is empty; a body that is not a JSON object is refused (serde
/// would otherwise read a struct from an array, field by field), and so is a body whose
/// text holds the NUL character (`\u0000`), which no field may contain.
pub fn object_bytes(bytes: &[u8]) -> Result<&[u8], Error> {
    let bytes = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Ok(b"{}"),
        Some(b'{') => bytes,
        Some(_) => return Err(Error::bad_request("request body: must be a JSON object")),
    };
    if has_nul_escape(bytes) {
        return Err(Error::bad_request(NUL_MESSAGE));
    }
    Ok(bytes)
}

const NUL_MESSAGE: &str = "request body: text must not contain the NUL character (\\u0000)";

/// Whether JSON text holds the escape `\u0000` (a backslash that is itself escaped,
/// as in `"\\u0000"`, does not count). A raw NUL byte is not valid JSON, so the parser
/// refuses it on its own.
fn has_nul_escape(bytes: &[u8]) -> bool {
    let needle = b"\\u0000";
    let mut from = 0;
    while let Some(at) = bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
    {
        let backslashes = bytes[..=at]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            return true;
        }
        from = at + 1;
    }
    false
}

/// A query string as a map, percent-decoded. Malformed query strings and values that
/// hold the NUL character are 400 `E011001`.
#[derive(Debug)]
pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError(Error::bad_request(format!("query string: {e}"))))?;
        if map
            .iter()
            .any(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(ApiError(Error::bad_request(
                "query string: values must not contain the NUL character (%00)",
            )));
        }
        Ok(QueryMap(map))
    }
}

/// Deserialize a JSON value already split out of a larger body (a batch item).
pub fn parse_item<T: DeserializeOwned>(raw: &serde_json::value::RawValue) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(object_bytes(raw.get().as_bytes())?);
    serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(&e))
}

fn json_error(e: &serde_path_to_error::Error<serde_json::Error>) -> Error {
    let inner = e.inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            // A wrong type: the field's path says where; the line and column would point
            // into the item, not the request, so they are left out.
            let text = inner.to_string();
            let suffix = format!(" at line {} column {}", inner.line(), inner.column());
            let reason = text.strip_suffix(&suffix).unwrap_or(&text);
            let path = e.path().to_string();
            if path == "." {
                Error::bad_request(format!("request body: {reason}"))
            } else {
                Error::bad_request(format!("{path}: {reason}"))
            }
        }
        _ => Error::bad_request(format!("malformed JSON: {inner}")),
    }
}

/// The project the caller's management key opens, which key it is, the client's
/// address (for the audit trail), and the project's catalog version as the key check
/// read it (what a read renders its users with).
#[derive(Debug, Clone)]
pub struct Caller {
    pub project: ProjectId,
    pub key: KeyId,
    pub client: Option<IpAddr>,
    pub catalog_seen: Option<i64>,
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
        match check_key(parts, state).await {
            Ok((project, access)) => {
                if access.read_only && !access::reads_only(&parts.method, parts.uri.path()) {
                    return Err(ApiError(Error::new(
                        ErrorCode::Forbidden,
                        "this management key is read-only: it reads everything and changes \
                         nothing",
                    )));
                }
                if let Some(limiter) = state.limiter() {
                    let standing = limiter.admit(&project, state.now());
                    if let Some(slot) = parts.extensions.get::<RateSlot>() {
                        slot.set(standing);
                    }
                    if !standing.allowed {
                        state.metrics().refused(crate::metrics::Refusal::rate_limit);
                        return Err(ApiError(Error::new(
                            ErrorCode::RateLimited,
                            format!(
                                "this project made its {} requests of the window (see --rate-limit); \
                                 try again in {} s",
                                standing.limit, standing.reset_secs
                            ),
                        )));
                    }
                }
                Ok(Caller {
                    project,
                    key: access.key,
                    client: client_address(parts),
                    catalog_seen: access.catalog_version,
                })
            }
            Err(e) => {
                // Repeated failures from one address are answered later and later;
                // a valid key is never slowed.
                let address = client_address(parts);
                let wait = state.auth_failures().failed(address, state.now());
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                Err(e)
            }
        }
    }
}

/// The address the request came from (the peer of the connection: behind a proxy, the
/// proxy's).
fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The project the request's management key opens and what the key may do, or why not.
async fn check_key(parts: &Parts, state: &AppState) -> Result<(ProjectId, Access), ApiError> {
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
    let denied = || unauthorized("the project ID and management key do not match an active key");
    let project = ProjectId::parse(project).map_err(|_| denied())?;
    let key = ManagementKey::parse(key).map_err(|_| denied())?;
    let client = client_address(parts);
    let granted = roster_store::auth::authenticate(
        state.store().as_ref(),
        &project,
        &key,
        client,
        state.now(),
    )
    .await?;
    match granted {
        Some(access) => Ok((project, access)),
        None => Err(denied()),
    }
}

#[cfg(test)]
mod tests {
    use super::has_nul_escape;

    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(has_nul_escape(br#"{"name":"a\u0000b"}"#));
        assert!(has_nul_escape(br#"{"name":"\\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"name":"\\u0000"}"#));
        assert!(has_nul_escape(br#"{"name":"\u00001"}"#));
        assert!(!has_nul_escape(br#"{"name":"plain"}"#));
        assert!(!has_nul_escape(br#"{"name":"\u0001"}"#));
    }
}
