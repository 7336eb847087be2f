//! The API's OpenAPI 3.1 document, built from the routes themselves.
//!
//! Every route is added through [`Api::route`], which takes the route's description
//! ([`Op`]) with its handler: the router and the document come from the same list, so no
//! route can be served without being documented, nor documented without being served.
//! Bodies and answers are described by the wire types the handlers read and write
//! (`crate::wire`, utoipa's `ToSchema`), aliases included as the fields they are. The
//! document is served at `GET /openapi.json` and kept in the repository as
//! `docs/openapi.json`; a test fails when the two differ.

use std::sync::OnceLock;

use axum::Router;
use axum::routing::MethodRouter;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::info::{InfoBuilder, LicenseBuilder};
use utoipa::openapi::path::Paths;
use utoipa::openapi::schema::{ComponentsBuilder, Object, Schema, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{OpenApi, OpenApiBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

use crate::AppState;
use crate::error::ErrorBody;

mod op;

pub use op::Op;

/// The name of the security scheme: Descope's `Authorization: Bearer
/// <ProjectID>:<ManagementKey>`.
pub(crate) const SECURITY_SCHEME: &str = "ManagementKey";

/// The error answers every management call may give: status, component name, and
/// what it means; each is a component response with Descope's error body. 500 is not
/// among them: Roster never means to answer it.
pub(crate) const ERROR_RESPONSES: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "The request is malformed or breaks a rule (E011001 to E011004); nothing changed.",
    ),
    (
        "401",
        "Unauthorized",
        "No key, an unknown project, or a wrong, expired or revoked key (E990401).",
    ),
    (
        "403",
        "Forbidden",
        "The key may not do this: a read-only key asked to change something, or a call from an address the key does not permit (E990403).",
    ),
    (
        "404",
        "NotFound",
        "The user, tenant, role, permission, key or project named does not exist (E112102, E991404, E992404, E993404, E996404, E994404).",
    ),
    (
        "409",
        "Conflict",
        "Already exists (E990409), or a write conflict that was retried and still failed (E995409).",
    ),
    (
        "413",
        "TooLarge",
        "The body is larger than --max-body-bytes (E990413), or a list holds more items than --max-batch-items (E990414).",
    ),
    (
        "429",
        "TooManyRequests",
        "The project's rate limit, or the server's limit on requests in flight, is reached (E130429); `Retry-After` says when to try again.",
    ),
    (
        "504",
        "Timeout",
        "The request took longer than --request-timeout, or a search longer than --search-timeout (E990504); its changes were rolled back.",
    ),
];

/// The 501 of the operations that may not be served ([`Op::unsupported`]).
pub(crate) const NOT_SUPPORTED: (&str, &str, &str) = (
    "501",
    "NotSupported",
    "A Descope endpoint Roster does not serve (E990501); docs/behaviour.md says why.",
);

/// Routes with their descriptions, under one tag.
pub struct Api {
    tag: &'static str,
    router: Router<AppState>,
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
    tags: Vec<&'static str>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("tags", &self.tags)
            .field("paths", &self.paths.paths.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Api {
    /// An empty list whose operations are filed under `tag`.
    pub fn new(tag: &'static str) -> Self {
        Self {
            tag,
            router: Router::new(),
            paths: Paths::new(),
            schemas: Vec::new(),
            tags: vec![tag],
        }
    }

    /// Serve `route` at `op`'s path and document it as `op` says. `route` must answer
    /// `op`'s method (a test checks every documented operation is routed).
    pub fn route(mut self, mut op: Op, route: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(op.path, route);
        let path = op.path.replace("{*", "{");
        let method = op.method.clone();
        self.schemas.append(&mut op.schemas);
        self.paths
            .add_path_operation(path, vec![method], op.build(self.tag));
        self
    }

    /// Both lists in one.
    pub fn merge(mut self, other: Api) -> Self {
        self.router = self.router.merge(other.router);
        self.paths.merge(other.paths);
        self.schemas.extend(other.schemas);
        self.tags.extend(other.tags);
        self
    }

    /// The router.
    pub fn into_router(self) -> Router<AppState> {
        self.router
    }

    /// The document.
    pub fn into_document(self) -> OpenApi {
        build(self.paths, self.schemas, &self.tags)
    }
}

/// The document: Roster's description, the security scheme, the error responses, the
/// paths and every schema they refer to.
fn build(paths: Paths, schemas: Vec<(String, RefOr<Schema>)>, tags: &[&str]) -> OpenApi {
    let mut components = ComponentsBuilder::new()
        .security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("<ProjectID>:<ManagementKey>")
                    .description(Some(
                        "Descope's management authentication: `Authorization: Bearer <ProjectID>:<ManagementKey>`.",
                    ))
                    .build(),
            ),
        )
        .schema(ErrorBody::name(), ErrorBody::schema());
    let mut seen = std::collections::BTreeMap::new();
    for (name, schema) in schemas {
        seen.entry(name).or_insert(schema);
    }
    for (name, schema) in seen {
        components = components.schema(name, schema);
    }
    for (_, name, description) in ERROR_RESPONSES.iter().chain([&NOT_SUPPORTED]) {
        let mut response = ResponseBuilder::new().description(*description).content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .build(),
        );
        if *name == "TooManyRequests" {
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(Object::with_type(Type::String))
                    .description(Some("Seconds to wait before trying again."))
                    .build(),
            );
        }
        components = components.response(*name, response.build());
    }
    let mut tag_list: Vec<&str> = tags.to_vec();
    tag_list.dedup();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Roster")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "A self-hosted user-management server that speaks Descope's Management API: the official Descope SDKs work against it by changing only their base URL. Every management call takes `Authorization: Bearer <ProjectID>:<ManagementKey>` and answers errors in Descope's shape (`errorCode`, `errorDescription`, `errorMessage`, `message`). Fields accept Descope's aliases (`identifier` for `loginId`, `displayName` for `name`, `phoneNumber` for `phone`, `ssoAppIDs` for `ssoAppIds`, `additionalLoginIds` for `additionalIdentifiers`); `null` reads as absent; unknown fields are ignored.",
                ))
                .license(Some(
                    LicenseBuilder::new()
                        .name(env!("CARGO_PKG_LICENSE"))
                        .identifier(Some(env!("CARGO_PKG_LICENSE")))
                        .build(),
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components.build()))
        .tags(Some(
            tag_list
                .into_iter()
                .map(|t| TagBuilder::new().name(t).build()),
        ))
        .build()
}

/// The document (built once: it is the same for every server).
pub fn document() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| crate::routes::api().into_document())
}

/// The document as served and committed: pretty JSON with a final newline.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut text = document()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    })
}

/// `GET /openapi.json`.
pub(crate) async fn serve() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        json(),
    )
}
