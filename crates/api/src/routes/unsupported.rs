//! Descope endpoints Roster deliberately does not serve. Each answers 501 `E990501`
//! (after authentication, like every management call), saying what it would have done,
//! so that a test suite that calls one fails with a clear reason rather than a 404 that
//! looks like a typo. `docs/behaviour.md` ("Not supported") says why each is left out.

use axum::Router;
use axum::routing::any;
use roster_domain::Error;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::Caller;

/// Path, and what it does at Descope.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "/v1/mgmt/tests/generate/otp",
        "Generating sign-in codes for test users",
    ),
    (
        "/v1/mgmt/tests/generate/magiclink",
        "Generating magic links for test users",
    ),
    (
        "/v1/mgmt/tests/generate/enchantedlink",
        "Generating enchanted links for test users",
    ),
    (
        "/v1/mgmt/user/signin/embeddedlink",
        "Generating embedded sign-in links",
    ),
    (
        "/v1/mgmt/user/signup/embeddedlink",
        "Generating embedded sign-up links",
    ),
    (
        "/v1/mgmt/user/provider/token",
        "Fetching a user's OAuth provider token",
    ),
    (
        "/v1/mgmt/user/import",
        "Importing users in Descope's export format",
    ),
    ("/v1/mgmt/user/update/family/add", "Families"),
    ("/v1/mgmt/user/update/family/remove", "Families"),
    ("/v1/mgmt/user/families/customattributes", "Families"),
    ("/v1/mgmt/user/families/customattribute/create", "Families"),
    ("/v1/mgmt/user/families/customattribute/delete", "Families"),
    // Every path under it: applications, tokens, uploads.
    ("/v1/mgmt/outbound/{*rest}", "Outbound applications"),
    (
        "/v2/mgmt/tenant/adminlinks/sso/generate",
        "SSO configuration links",
    ),
    (
        "/v1/mgmt/tenant/adminlinks/sso/revoke",
        "SSO configuration links",
    ),
];

pub fn routes() -> Router<AppState> {
    UNSUPPORTED
        .iter()
        .fold(Router::new(), |router, &(path, what)| {
            router.route(
                path,
                any(move |_caller: Caller| async move {
                    ApiResult::<()>::Err(Error::not_supported(what).into())
                }),
            )
        })
}
