//! The routes, one module per resource. Each module's `api()` lists its routes with
//! their descriptions ([`Api`]); this module merges them into the router and the
//! OpenAPI document.

use crate::openapi::{Api, Op};

pub mod attributes;
pub mod audit;
pub mod factors;
pub mod health;
pub mod keys;
pub mod permissions;
pub mod roles;
pub mod tenants;
pub mod unsupported;
pub mod user_batches;
pub mod user_changes;
pub mod users;

/// Every route of the server.
pub fn api() -> Api {
    health::api()
        .merge(
            Api::new("Server")
                .route(
                    Op::get("/metrics", "Prometheus metrics")
                        .describe("OpenMetrics text: requests by route and status, latency, batch sizes, items done and failed, the store's time per step, open connections, refusals. No key needed.")
                        .answers_text("application/openmetrics-text; version=1.0.0; charset=utf-8", "The metrics")
                        .public(),
                    axum::routing::get(crate::metrics::scrape),
                )
                .route(
                    Op::get("/openapi.json", "This document")
                        .answers_object("The OpenAPI 3.1 document")
                        .public(),
                    axum::routing::get(crate::openapi::serve),
                ),
        )
        .merge(keys::api())
        .merge(users::api())
        .merge(user_batches::api())
        .merge(user_changes::api())
        .merge(factors::api())
        .merge(tenants::api())
        .merge(roles::api())
        .merge(permissions::api())
        .merge(attributes::api())
        .merge(audit::api())
        .merge(unsupported::api())
}
