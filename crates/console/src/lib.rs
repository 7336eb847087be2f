//! Roster's admin console: the pages in `assets/`, compiled into the binary and served
//! at `/console` by `roster serve` itself, so that it needs no second server, no network
//! and no front-end build.
//!
//! The console is plain HTML, CSS and JavaScript modules (see `docs/console.md` for
//! why). It holds no power of its own: the browser signs in with a project ID and a
//! management key and calls the same management API as the SDKs, so every rule, limit
//! and read-only check applies to it unchanged. This crate only hands out the files.

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rust_embed::Embed;

/// Where the console lives.
pub const PREFIX: &str = "/console";

#[derive(Embed)]
#[folder = "assets/"]
struct Assets;

/// The console's routes: `/console` (redirected to `/console/`), `/console/` (the page)
/// and `/console/{file}` (its scripts, styles and images).
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(PREFIX, get(|| async { Redirect::permanent("/console/") }))
        .route(
            "/console/",
            get(|headers: HeaderMap| async move { asset("index.html", &headers) }),
        )
        .route(
            "/console/{*file}",
            get(|Path(file): Path<String>, headers: HeaderMap| async move {
                asset(&file, &headers)
            }),
        )
}

/// The names of every file the console serves (for tests).
pub fn files() -> impl Iterator<Item = String> {
    Assets::iter().map(|name| name.into_owned())
}

/// One embedded file, revalidated by its digest: browsers ask again each time
/// (`no-cache`) and get `304` while the binary is the same.
fn asset(name: &str, headers: &HeaderMap) -> Response {
    let Some(file) = Assets::get(name) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such console file",
        )
            .into_response();
    };
    let digest = file.metadata.sha256_hash();
    let etag = format!("\"{}\"", hex(&digest[..16]));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut builder = Response::builder()
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(
            header::CONTENT_SECURITY_POLICY,
            // Everything from Roster itself; no inline script, no other origin.
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'",
        );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        builder = builder.header(header::ETAG, etag);
    }
    let built = if fresh {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        builder
            .header(
                header::CONTENT_TYPE,
                content_type(name, file.metadata.mimetype()),
            )
            .body(Body::from(file.data.into_owned()))
    };
    built.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The media type of a file, with the character set of text named.
fn content_type(name: &str, guessed: &str) -> String {
    let guessed = if name.ends_with(".js") {
        "text/javascript"
    } else {
        guessed
    };
    if guessed.starts_with("text/") || guessed.ends_with("json") || guessed.ends_with("+xml") {
        format!("{guessed}; charset=utf-8")
    } else {
        guessed.to_owned()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_modules_are_embedded() {
        let files: Vec<String> = files().collect();
        assert!(files.iter().any(|f| f == "index.html"), "{files:?}");
        assert!(files.iter().any(|f| f == "app.js"), "{files:?}");
    }

    #[test]
    fn text_is_served_with_its_character_set() {
        assert_eq!(
            content_type("app.js", "application/javascript"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("a.png", "image/png"), "image/png");
        assert_eq!(content_type("a.css", "text/css"), "text/css; charset=utf-8");
    }
}
