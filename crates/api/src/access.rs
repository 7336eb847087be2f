//! What a read-only management key may call: every `GET`, and the `POST`s that only read
//! (Descope's searches and loads take their filters in a body). Everything else is a
//! change, refused with 403 `E990403` before the handler runs.

use axum::http::Method;

/// The `POST` endpoints that change nothing.
const READ_POSTS: &[&str] = &[
    "/v2/mgmt/user/search",
    "/v2/mgmt/user/search/test",
    "/v1/mgmt/users/load",
    "/v1/mgmt/tenant/search",
    "/v1/mgmt/role/search",
    "/v1/mgmt/user/passkeys/list",
    "/v1/mgmt/user/trusteddevices/list",
    "/v1/mgmt/user/history",
    "/v1/mgmt/audit/search",
];

/// Whether the request `method path` only reads.
pub fn reads_only(method: &Method, path: &str) -> bool {
    *method == Method::GET
        || *method == Method::HEAD
        || (*method == Method::POST && READ_POSTS.contains(&path.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_told_from_changes() {
        assert!(reads_only(&Method::GET, "/v1/mgmt/user"));
        assert!(reads_only(&Method::POST, "/v2/mgmt/user/search"));
        assert!(reads_only(&Method::POST, "/v1/mgmt/users/load"));
        assert!(reads_only(&Method::POST, "/v1/mgmt/audit/search"));
        assert!(!reads_only(&Method::POST, "/v1/mgmt/audit/event"));
        assert!(!reads_only(&Method::POST, "/v1/mgmt/user/create"));
        assert!(!reads_only(&Method::PATCH, "/v1/mgmt/user/patch/batch"));
        assert!(!reads_only(
            &Method::DELETE,
            "/v1/mgmt/user/test/delete/all"
        ));
        assert!(!reads_only(&Method::POST, "/v1/mgmt/tenant/settings"));
    }
}
