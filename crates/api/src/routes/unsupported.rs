//! Descope endpoints Roster deliberately does not serve. Each answers 501 `E990501`
//! (after authentication, like every management call), saying what it would have done,
//! so that a test suite that calls one fails with a clear reason rather than a 404 that
//! looks like a typo. `docs/behaviour.md` ("Not supported") says why each is left out.

use axum::routing::{get, post};
use roster_domain::Error;

use crate::error::ApiResult;
use crate::extract::Caller;
use crate::openapi::{Api, Op};

/// How a path is called at Descope.
#[derive(Debug, Clone, Copy)]
enum Verbs {
    Get,
    Post,
    /// A family of paths with both (outbound applications).
    GetAndPost,
}

/// Path, how it is called, and what it does at Descope.
const UNSUPPORTED: &[(&str, Verbs, &str)] = &[
    (
        "/v1/mgmt/tests/generate/otp",
        Verbs::Post,
        "Generating sign-in codes for test users",
    ),
    (
        "/v1/mgmt/tests/generate/magiclink",
        Verbs::Post,
        "Generating magic links for test users",
    ),
    (
        "/v1/mgmt/tests/generate/enchantedlink",
        Verbs::Post,
        "Generating enchanted links for test users",
    ),
    (
        "/v1/mgmt/user/signin/embeddedlink",
        Verbs::Post,
        "Generating embedded sign-in links",
    ),
    (
        "/v1/mgmt/user/signup/embeddedlink",
        Verbs::Post,
        "Generating embedded sign-up links",
    ),
    (
        "/v1/mgmt/user/provider/token",
        Verbs::Get,
        "Fetching a user's OAuth provider token",
    ),
    (
        "/v1/mgmt/user/import",
        Verbs::Post,
        "Importing users in Descope's export format",
    ),
    ("/v1/mgmt/user/update/family/add", Verbs::Post, "Families"),
    (
        "/v1/mgmt/user/update/family/remove",
        Verbs::Post,
        "Families",
    ),
    (
        "/v1/mgmt/user/families/customattributes",
        Verbs::Get,
        "Families",
    ),
    (
        "/v1/mgmt/user/families/customattribute/create",
        Verbs::Post,
        "Families",
    ),
    (
        "/v1/mgmt/user/families/customattribute/delete",
        Verbs::Post,
        "Families",
    ),
    // Every path under it: applications, tokens, uploads.
    (
        "/v1/mgmt/outbound/{*rest}",
        Verbs::GetAndPost,
        "Outbound applications",
    ),
    (
        "/v2/mgmt/tenant/adminlinks/sso/generate",
        Verbs::Post,
        "SSO configuration links",
    ),
    (
        "/v1/mgmt/tenant/adminlinks/sso/revoke",
        Verbs::Post,
        "SSO configuration links",
    ),
];

/// Each path answers 501 to the methods Descope's SDKs call it with (405 to others).
pub fn api() -> Api {
    UNSUPPORTED
        .iter()
        .fold(Api::new("Not supported"), |api, &(path, verbs, what)| {
            let handler = move |_caller: Caller| async move {
                ApiResult::<()>::Err(Error::not_supported(what).into())
            };
            let op = |op: Op| {
                let op = op.unsupported();
                if path.contains("{*rest}") {
                    op.path_param("rest", "Any path below")
                } else {
                    op
                }
            };
            match verbs {
                Verbs::Get => api.route(op(Op::get(path, what)), get(handler)),
                Verbs::Post => api.route(op(Op::post(path, what)), post(handler)),
                Verbs::GetAndPost => api
                    .route(op(Op::get(path, what)), get(handler))
                    .route(op(Op::post(path, what)), post(handler)),
            }
        })
}
